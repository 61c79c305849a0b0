"""Conversion and velocity between stages, from the stored transitions."""

import subprocess
import sys

from leaddb import LeadStore
from leaddb.funnel import funnel


def test_funnel_counts_conversions_and_skipped_steps(sqlite_url):
    store = LeadStore.from_url(sqlite_url)
    for visitor, stages in {
        "a": ["mql"],  # nurtured
        "b": ["sql", "meeting_booked", "accepted"],  # straight to SQL: passed MQL on the way
        "c": ["sql", "meeting_booked", "rejected", "nurture"],
        "d": [],  # only said hello
    }.items():
        store.ensure_lead(visitor)
        for stage in stages:
            store.change_stage(visitor, stage)
    steps = {step.stage: step for step in funnel(store)}
    assert [steps[s].leads for s in ("visitor", "mql", "sql", "meeting_booked", "accepted")] == [4, 3, 2, 2, 1]
    assert steps["mql"].conversion == 0.75 and steps["accepted"].conversion == 0.5
    assert steps["visitor"].conversion is None
    assert steps["sql"].median_hours is not None and steps["sql"].median_hours >= 0


def test_funnel_cli(sqlite_url, tmp_path):
    LeadStore.from_url(sqlite_url).ensure_lead("x")
    env = {"DATABASE_URL": sqlite_url, "LEADQUAL_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "leaddb", "funnel"], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "visitor" in result.stdout and "1" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "leaddb", "funnel", "--since", "yesterday"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--since must be a date" in bad.stderr
