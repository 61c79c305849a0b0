"""What every action shares, created once per action-server process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cache
from typing import Any

from appconfig.settings import load_settings
from experiments import DialoguePlan, ExperimentsConfig, dialogue_plan, load_experiments
from faq import Faq, load_faq
from handoff import (
    FreeMail,
    Industries,
    LeadFacts,
    Notifications,
    NurtureConfig,
    Roster,
    derive_company_facts,
    load_free_mail,
    load_industries,
    load_nurture,
    load_roster,
    routing_questions,
)
from leaddb import LeadStore, utcnow
from leaddb.events import visitor_events
from scoring.behaviour import BehaviourRules, BehaviourScore, load_behaviour_rules, score_behaviour
from scoring.predictive import LeadModel, load_model
from scoring.qualification import (
    Decision,
    QualificationRules,
    decide,
    facts_from_record,
    load_qualification_rules,
    model_facts,
    model_record,
)


@cache
def lead_store() -> LeadStore:
    return LeadStore.from_url(load_settings().database_url)


@cache
def qualification_rules() -> QualificationRules:
    return load_qualification_rules(load_settings().config_dir / "scoring.yml")


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking database call without stalling the action server's event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


@cache
def roster() -> Roster:
    return load_roster(load_settings().config_dir / "roster.yml")


@cache
def free_mail() -> FreeMail:
    return load_free_mail(load_settings().config_dir / "free_mail.yml")


@cache
def industries() -> Industries:
    return load_industries(load_settings().config_dir / "industries.yml")


@cache
def faq() -> Faq:
    return load_faq(load_settings().config_dir / "faq.yml")


@cache
def nurture_tracks() -> NurtureConfig:
    return load_nurture(load_settings().config_dir / "nurture.yml")


@cache
def experiments() -> ExperimentsConfig:
    return load_experiments(load_settings().config_dir / "experiments.yml")


def visitor_plan(visitor_id: str) -> DialoguePlan:
    """What the visitor's experiment variants change (assigned on first use); today's dialogue
    when no experiment is enabled."""
    return dialogue_plan(lead_store(), experiments(), visitor_id, utcnow())


def notifications() -> Notifications:
    return Notifications.from_env()


@cache
def behaviour_rules() -> BehaviourRules:
    return load_behaviour_rules(load_settings().config_dir / "behaviour.yml")


@cache
def lead_model() -> LeadModel | None:
    """The predictive model named in scoring.yml, or None when none is configured."""
    rule = qualification_rules().model
    return load_model(rule.path) if rule else None


def visitor_behaviour(visitor_id: str) -> BehaviourScore:
    """What this visitor did on the site (tracker.js events under the same id), scored."""
    rules, now = behaviour_rules(), utcnow()
    events = visitor_events(lead_store().engine, visitor_id, since=rules.window_start(now))
    return score_behaviour(rules, events, now)


def tier_decision(visitor_id: str, record: dict | None = None) -> Decision:
    """The tier decision from what the lead database holds now (not stored): stated answers,
    behaviour on the site and, when scoring.yml names one, the predictive model. `record`: the
    lead's dict, when the caller has read it already."""
    if record is None:
        record = lead_store().get_lead(visitor_id) or {}
    rules, facts = qualification_rules(), facts_from_record(record)
    behaviour = visitor_behaviour(visitor_id)
    probability = None
    model = lead_model()
    if model is not None:
        values = model_facts(rules, facts, behaviour.total, behaviour.summary)
        probability = model.predict_proba([model_record(rules.model, values)])[0]
    return decide(rules, facts, behaviour.parts, probability)


def routing_questions_for(visitor_id: str, zone: str | None, answered: frozenset[str]) -> tuple[str, ...]:
    """The routing question to ask a visitor who will be an SQL, if routing needs one: only what
    the company domain and industry derived from the answers leave open (read only; routing
    stores them)."""
    lead = lead_store().get_lead(visitor_id) or {"visitor_id": visitor_id}
    if tier_decision(visitor_id, lead).tier != "sql":
        return ()
    company = derive_company_facts(lead, free_mail(), industries())
    facts = LeadFacts.from_lead(
        lead,
        company_domain=company.company_domain,
        industry=company.industry,
        industry_source=company.industry_source,
        **({"timezone": zone} if zone else {}),
    )
    return routing_questions(roster(), facts, answered)
