"""The console's experiments page and its JSON over real HTTP, on a seeded lead database:
who sees it, and the figures, intervals and verdicts it shows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from appconfig.settings import Settings
from leaddb import LeadStore
from leaddb.experiments import LeadExperiment
from leaddb.leads import Lead, StageTransition
from tests.support.servers import config_with, running_webapp
from webapp.console.users import add_user

from .test_console import PASSWORD, TOKEN, login

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
EXPERIMENTS = """
experiments:
  direct_opening:
    enabled: true
    description: Straight to the questions.
    variants:
      - {name: control}
      - {name: direct, opening: utter_greet_direct}
  five_times:
    enabled: false
    goal: sql
    variants:
      - {name: three}
      - {name: five, offered_times: 5}
"""
# (experiment, variant, visitors, SQLs, bookings among those SQLs)
SEEDED = [
    ("direct_opening", "control", 200, 40, 20),
    ("direct_opening", "direct", 200, 60, 40),
    ("five_times", "three", 12, 3, 0),
]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("experiments-var")
    database_url = f"sqlite:///{var_dir / 'leads.db'}"
    settings = Settings(var_dir=var_dir, database_url=database_url)
    for username, role, rep in (("max", "marketer", None), ("mia", "sales_manager", None), ("ana", "sales_rep", "ana")):
        add_user(settings, username, role, PASSWORD, rep_id=rep)
    store = LeadStore.from_url(database_url)
    with store.session() as session:
        for experiment, variant, visitors, sqls, booked in SEEDED:
            for number in range(visitors):
                lead = Lead(visitor_id=f"{experiment}-{variant}-{number}", stage="visitor")
                session.add(lead)
                session.flush()
                session.add(LeadExperiment(lead_id=lead.id, experiment=experiment, variant=variant, assigned_at=T0))
                for stage in ["sql", "meeting_booked"][: (number < sqls) + (number < booked)]:
                    session.add(StageTransition(lead_id=lead.id, to_stage=stage, reason="seeded", created_at=T0 + DAY))
    config_dir = config_with(var_dir, experiments=EXPERIMENTS)
    with running_webapp(
        database_url, LEADQUAL_VAR_DIR=str(var_dir), LEADQUAL_CONFIG_DIR=str(config_dir), CONSOLE_API_TOKEN=TOKEN
    ) as server:
        yield server


def _row(page: str, variant: str) -> list[str]:
    row = re.search(rf"<tr><td>{variant}( \(control\))?</td>(.*?)</tr>", page, re.S)
    assert row, page
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(2), re.S)]


def test_a_marketer_sees_the_figures_intervals_and_verdict(console):
    client, _ = login(console.url, "max")
    assert '<a href="/console/experiments">Experiments</a>' in client.get("/console").text
    page = client.get("/console/experiments")
    assert page.status_code == 200
    # 20/200 vs 40/200 booked: Wilson 10.0% (6.6–14.9%) and 20.0% (15.0–26.1%); z = 2.80, p = 0.005.
    assert _row(page.text, "control") == ["1", "200", "40 · 20.0% (15.0–26.1%)", "20 · 10.0% (6.6–14.9%)", "–", ""]
    assert _row(page.text, "direct") == [
        "1",
        "200",
        "60 · 30.0% (24.1–36.7%)",
        "40 · 20.0% (15.0–26.1%)",
        "z=2.80, p=0.005",
        "direct converts better than control (p=0.005)",
    ]
    assert 'id="warning-direct_opening"' not in page.text
    # The disabled experiment keeps its figures, and says they are too few.
    assert 'five_times <span class="muted">(disabled; goal: SQL)' in page.text
    assert 'id="warning-five_times"' in page.text
    assert _row(page.text, "five")[-1] == (
        "too few visitors: 88 more needed for three, 100 more needed for five (at least 100 per variant)"
    )


def test_a_sales_manager_sees_them_and_a_rep_does_not(console):
    assert httpx.get(f"{console.url}/console/experiments").headers["location"] == "/console/login"
    manager, _ = login(console.url, "mia")
    assert manager.get("/console/experiments").status_code == 200
    rep, _ = login(console.url, "ana")
    assert "/console/experiments" not in rep.get("/console/leads").text
    refused = rep.get("/console/experiments")
    assert refused.status_code == 403 and "Sales managers, marketers and admins see the experiments." in refused.text
    assert rep.get("/api/console/experiments").status_code == 403


def test_the_json_needs_a_session_or_the_token(console):
    assert httpx.get(f"{console.url}/api/console/experiments").status_code == 401
    wrong = httpx.get(f"{console.url}/api/console/experiments", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    answer = httpx.get(f"{console.url}/api/console/experiments", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    first = answer.json()["experiments"][0]
    assert (first["name"], first["enabled"], first["goal"]) == ("direct_opening", True, "booked")
    control, direct = first["variants"]
    assert (control["visitors"], control["booked"]["count"], direct["booked"]["count"]) == (200, 20, 40)
    assert direct["booked"]["low"] == pytest.approx(0.1505, abs=5e-4)
    assert direct["versus_control"]["p"] == pytest.approx(0.0051, abs=1e-4)
    marketer, _ = login(console.url, "max")
    assert marketer.get("/api/console/experiments").json() == answer.json()
