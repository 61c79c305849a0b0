"""The roster file: read into reps and rules, and every kind of mistake is reported with the
file, the key and the problem (tests/test_shipped_config.py checks that the shipped roster loads)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import yaml

from appconfig.yamlfile import ConfigError
from handoff import load_roster

from .conftest import ROSTER_YML


def test_the_file_is_read_into_reps_and_rules(roster):
    berlin = roster.reps["berlin"]
    assert berlin.working_hours[0] == ((time(9), time(12)), (time(13), time(17)))  # a lunch gap
    assert set(berlin.working_hours) == {0, 1, 2, 3, 4}
    assert berlin.countries == {"DE", "AT", "CH"} and berlin.industries == {"manufacturing"}
    assert roster.reps["newyork"].weight == 1 and not roster.reps["retired"].active
    assert roster.rules[0].when == {"segment": {"enterprise"}} and roster.rules[0].reps == ("berlin", "newyork")
    assert roster.meetings.length == timedelta(minutes=30) and roster.meetings.minimum_notice == timedelta(hours=1)
    assert (roster.fallback_rep, roster.fallback_queue) == (None, "sales-inbox")
    assert (
        roster.segment_for(5000) == "enterprise"
        and roster.segment_for(200) == "mid"
        and roster.segment_for(199) == "smb"
    )


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
    (
        lambda d: _rep(d).update(working_hours={"mon-fri": ["09:00-12:00", "11:00-17:00"]}),
        "reps[0].working_hours.mon-fri",
        "overlap",
    ),
    (
        lambda d: _rep(d).update(working_hours={"mon-fri": "17:00-09:00"}),
        "reps[0].working_hours.mon-fri",
        "ends before it starts",
    ),
    (
        lambda d: _rep(d).update(working_hours={"monday-fri": "09:00-17:00"}),
        "reps[0].working_hours.monday-fri",
        "not a day",
    ),
    (
        lambda d: _rep(d).update(working_hours={"mon-fri": "09:00-17:00", "fri": "09:00-12:00"}),
        "reps[0].working_hours.fri",
        "more than once",
    ),
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
    (
        lambda d: d["routing_rules"][0].update(reps=["berlin", "nobody"]),
        "routing_rules[0].reps[1]",
        "unknown rep 'nobody'",
    ),
    (
        lambda d: d["routing_rules"][0].update(match_on=["country"]),
        "routing_rules[0].match_on[0]",
        "unknown routing fact 'country'",
    ),
    (lambda d: d["routing_rules"][2].pop("match_on"), "routing_rules[2].reps", "give the rule's reps"),
    (lambda d: d["routing_rules"][1].update(name="enterprise"), "routing_rules[1].name", "used twice"),
    (
        lambda d: d["routing_rules"][0]["when"].update(segment=["giant"]),
        "routing_rules[0].when.segment[0]",
        "unknown segment",
    ),
    (lambda d: d.update(fallback={"rep": "nobody"}), "fallback.rep", "no rep with id 'nobody'"),
    (lambda d: d.update(fallback={"rep": "berlin", "queue": "inbox"}), "fallback", "exactly one of"),
    (lambda d: d.update(fallback={"queue": "nobody-reads-this"}), "fallback.queue", "no queue 'nobody-reads-this'"),
    (lambda d: d["queues"]["support"].update(email="not an address"), "queues.support.email", "email"),
    (lambda d: d["meetings"].update(length_minutes=0), "meetings.length_minutes", "at least 5"),
    (lambda d: d["meetings"].pop("horizon_days"), "meetings.horizon_days", "is required"),
    (lambda d: d["meetings"].update(decision_link_days=0), "meetings.decision_link_days", "at least 1"),
    (lambda d: d.update(rep=[]), "rep", "unknown key"),
    (lambda d: _rep(d).update(territories=["dach", "narnia"]), "reps[0].territories[1]", "nor a region defined under"),
    (
        lambda d: d["routing_rules"][0]["when"].update(territory=["XX"]),
        "routing_rules[0].when.territory[0]",
        "neither an ISO",
    ),
    (lambda d: d["regions"].update(Nordics=["SE"]), "regions.Nordics", "region names are lower-case words"),
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
