"""The roster file: the shipped example loads, and every kind of mistake is reported with the
file, the key and the problem."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from handoff import load_roster
from appconfig.yamlfile import ConfigError

from .conftest import ROSTER_YML

PROJECT_ROSTER = Path(__file__).resolve().parents[2] / "config" / "roster.yml"


def test_the_example_roster_loads():
    roster = load_roster(PROJECT_ROSTER)
    assert 5 <= len(roster.reps) <= 7
    assert len({rep.timezone for rep in roster.reps.values()}) >= 3
    assert roster.reps["anna.schmidt"].working_hours[0][1][0].hour == 13  # after the lunch gap
    assert "NO" in roster.regions["nordics"]
    assert roster.segment_for(5000) == "enterprise" and roster.segment_for(200) == "mid" and roster.segment_for(199) == "smb"


def test_owner_lookup_includes_subdomains(roster):
    assert roster.owner_of("owned-gmbh.example").id == "berlin"
    assert roster.owner_of("EU.Owned-GmbH.example").id == "berlin"
    assert roster.owner_of("not-owned-gmbh.example") is None


def _rep(data):
    return data["reps"][0]


MISTAKES = [
    # (change to the valid roster, key named, problem named)
    (lambda d: _rep(d).update(timezone="Europe/Berlinn"), "reps[0].timezone", "not an IANA time zone"),
    (lambda d: _rep(d).update(working_hours={"mon-fri": "9-17"}), "reps[0].working_hours.mon-fri", '"HH:MM-HH:MM"'),
    (lambda d: _rep(d).update(working_hours={"mon-fri": ["09:00-12:00", "11:00-17:00"]}), "reps[0].working_hours.mon-fri", "overlap"),
    (lambda d: _rep(d).update(working_hours={"mon-fri": "17:00-09:00"}), "reps[0].working_hours.mon-fri", "ends before it starts"),
    (lambda d: _rep(d).update(working_hours={"monday-fri": "09:00-17:00"}), "reps[0].working_hours.monday-fri", "not a day"),
    (lambda d: _rep(d).update(working_hours={"mon-fri": "09:00-17:00", "fri": "09:00-12:00"}), "reps[0].working_hours.fri", "more than once"),
    (lambda d: _rep(d).update(working_hours={}), "reps[0].working_hours", "at least one day"),
    (lambda d: _rep(d).update(territories=["XX"]), "reps[0].territories[0]", "neither an ISO 3166 country code"),
    (lambda d: _rep(d).update(segments=["huge"]), "reps[0].segments[0]", "unknown segment 'huge'"),
    (lambda d: _rep(d).update(weight=0), "reps[0].weight", "at least 1"),
    (lambda d: _rep(d).pop("daily_meeting_cap"), "reps[0].daily_meeting_cap", "is required"),
    (lambda d: _rep(d).update(email="bea at example"), "reps[0].email", "not an email address"),
    (lambda d: _rep(d).update(accounts=["https://owned.example/"]), "reps[0].accounts[0]", "not a company domain"),
    (lambda d: _rep(d).update(colour="blue"), "reps[0].colour", "unknown key"),
    (lambda d: d["reps"][1].update(id="berlin"), "reps[1].id", "duplicate rep id"),
    (lambda d: d["reps"][1].update(accounts=["owned-gmbh.example"]), "reps", "owned by both"),
    (lambda d: d["segments"].update(mid="150-999"), "segments.mid", "overlaps segment 'smb'"),
    (lambda d: d["segments"].update(mid="lots"), "segments.mid", "employee band"),
    (lambda d: d["regions"].update(nordics=["SE", False]), "regions.nordics[1]", "write country codes in quotes"),
    (lambda d: d["routing_rules"][0].update(reps=["berlin", "nobody"]), "routing_rules[0].reps[1]", "unknown rep 'nobody'"),
    (lambda d: d["routing_rules"][0].update(match_on=["country"]), "routing_rules[0].match_on[0]", "must be one of"),
    (lambda d: d["routing_rules"][2].pop("match_on"), "routing_rules[2].reps", "give the rule's reps"),
    (lambda d: d["routing_rules"][1].update(name="enterprise"), "routing_rules[1].name", "used twice"),
    (lambda d: d["routing_rules"][0]["when"].update(segment=["giant"]), "routing_rules[0].when.segment[0]", "unknown segment"),
    (lambda d: d.update(fallback={"rep": "nobody"}), "fallback.rep", "no rep with id 'nobody'"),
    (lambda d: d.update(fallback={"rep": "berlin", "queue": "inbox"}), "fallback", "exactly one of"),
    (lambda d: d["meetings"].update(length_minutes=0), "meetings.length_minutes", "at least 5"),
    (lambda d: d["meetings"].pop("horizon_days"), "meetings.horizon_days", "is required"),
    (lambda d: d.update(rep=[]), "rep", "unknown key"),
]


@pytest.mark.parametrize("change, key, problem", MISTAKES)
def test_mistakes_name_file_key_and_problem(tmp_path, change, key, problem):
    data = yaml.safe_load(ROSTER_YML)
    change(data)
    path = tmp_path / "roster.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_roster(path)
    assert error.value.path == str(path)
    assert error.value.key == key
    assert problem in error.value.problem


def test_broken_yaml_and_missing_file(tmp_path):
    path = tmp_path / "roster.yml"
    path.write_text("reps: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"roster\.yml: is not valid YAML at line"):
        load_roster(path)
    with pytest.raises(ConfigError, match="file not found"):
        load_roster(tmp_path / "missing.yml")
