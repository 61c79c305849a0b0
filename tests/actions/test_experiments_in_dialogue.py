"""A dialogue experiment enabled in config/experiments.yml changes the greeting, the questions
and the offer for the visitors in its variant, and nothing for the others (real SQLite lead DB)."""

from __future__ import annotations

import shutil

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import services
from actions.booking import ActionOfferMeeting
from actions.conversation import ActionGreet
from actions.form import ValidateQualificationForm
from appconfig.settings import PROJECT_ROOT
from experiments import pick_variant
from leaddb.experiments import LeadExperiment
from tests.actions.conftest import simple_tracker
from tests.actions.test_booking_actions import SQL_ANSWERS, tracker

DOMAIN_ORDER = ["need", "timeline", "authority", "budget", "company", "company_size", "person_name", "email"]
EXPERIMENTS = """
experiments:
  opening:
    enabled: true
    variants:
      - {name: control}
      - {name: direct, opening: utter_greet_direct}
  questions:
    enabled: true
    variants:
      - {name: control}
      - {name: contact_first, question_order: [email, person_name], ask_budget: false}
  times:
    enabled: true
    variants:
      - {name: control}
      - {name: five, offered_times: 5}
"""


@pytest.fixture
def experiments_on(monkeypatch, tmp_path):
    config_dir = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    (config_dir / "experiments.yml").write_text(EXPERIMENTS, encoding="utf-8")
    monkeypatch.setenv("LEADQUAL_CONFIG_DIR", str(config_dir))
    services.experiments.cache_clear()
    yield services.experiments()
    services.experiments.cache_clear()


def visitor_in(config, experiment: str, variant: str) -> str:
    return next(
        f"visitor-{n}"
        for n in range(1000)
        if pick_variant(experiment, config.experiments[experiment], f"visitor-{n}").name == variant
    )


async def _required(sender: str, domain) -> list[str]:
    form = ValidateQualificationForm()
    return await form.required_slots(DOMAIN_ORDER, CollectingDispatcher(), simple_tracker(sender=sender), domain)


async def test_the_form_follows_the_variants_order_and_drops_budget(experiments_on, domain, lead_db):
    # (country and industry come last, and only when routing needs them: not here.)
    assert domain["forms"]["qualification_form"]["required_slots"] == [*DOMAIN_ORDER, "country", "industry"]
    treated = visitor_in(experiments_on, "questions", "contact_first")
    control = visitor_in(experiments_on, "questions", "control")
    assert await _required(treated, domain) == [
        "email",
        "person_name",
        "need",
        "timeline",
        "authority",
        "company",
        "company_size",
    ]
    assert await _required(control, domain) == DOMAIN_ORDER
    await _required(treated, domain)  # asked again each turn: read back, not assigned again
    with lead_db.session() as session:
        stored = session.execute(
            select(LeadExperiment.variant).where(LeadExperiment.experiment == "questions")
        ).scalars()
        assert sorted(stored) == ["contact_first", "control"]


async def test_without_an_enabled_experiment_the_form_is_as_before(domain, lead_db):
    services.experiments.cache_clear()  # the shipped file: its experiment is disabled
    assert await _required("visitor-1", domain) == DOMAIN_ORDER
    with lead_db.session() as session:
        assert session.execute(select(LeadExperiment)).all() == []


async def test_the_greeting_is_the_variants_opening(experiments_on, domain, lead_db):
    messages = []
    for variant in ("direct", "control"):
        dispatcher = CollectingDispatcher()
        sender = visitor_in(experiments_on, "opening", variant)
        await ActionGreet().run(dispatcher, simple_tracker(sender=sender), domain)
        messages.append(dispatcher.messages[0]["response"])
    assert messages == ["utter_greet_direct", "utter_greet"]
    assert "utter_greet_direct" in domain["responses"]


async def test_the_offer_shows_the_variants_number_of_times(experiments_on, domain, lead_db):
    counts = {}
    for variant in ("five", "control"):
        sender = visitor_in(experiments_on, "times", variant)
        for slot, fields in SQL_ANSWERS.items():
            lead_db.record_answer(sender, slot, "…", fields)
        lead_db.record_decision(sender, "sql", 90, ["score 90"], [])
        events = await ActionOfferMeeting().run(CollectingDispatcher(), tracker(sender=sender), domain)
        offered = next(e["value"] for e in events if e["event"] == "slot" and e["name"] == "offered_slots")
        counts[variant] = len(offered)
    assert counts == {"five": 5, "control": 3}
