"""Nurture: rules pick the track, non-prospects get no enrolment, the file is validated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from appconfig.yamlfile import ConfigError
from handoff import LeadFacts, Notifications, choose_track, enrol_in_nurture, load_nurture
from leaddb.outbox import OutboxMessage

# The tests' own tracks, so an operator's edit of config/nurture.yml never turns them red.
NURTURE_YML = """
tracks:
  - {id: careers, name: Job seekers, closed: true, content: [{title: Open positions, url: "https://example.com/careers"}]}
  - {id: closed, name: Not a prospect, closed: true, content: [{title: Our blog, url: "https://example.com/blog"}]}
  - {id: recycled, name: Recycled, list: nurture-recycled}
  - id: security-compliance
    name: Security and compliance buyers
    list: nurture-security
    content: [{title: Whitepaper, url: "https://example.com/compliance"}]
  - {id: integrations, name: Integrations, list: nurture-integrations}
  - {id: evaluation, name: Evaluating, list: nurture-evaluation}
  - {id: general, name: Newsletter, list: newsletter}
rules:
  - name: job_seekers
    when: {authority: [none], need_keywords: [job, career, hiring]}
    track: careers
  - {name: not_a_prospect, when: {authority: [none]}, track: closed}
  - {name: unqualified, when: {tier: [unqualified]}, track: closed}
  - {name: rejected_by_sales, when: {stage: [rejected]}, track: recycled}
  - {name: security_need, when: {need_keywords: [security, soc 2, gdpr]}, track: security-compliance}
  - {name: integration_need, when: {need_keywords: [integrate, crm, api]}, track: integrations}
  - {name: marketing_qualified, when: {tier: [mql]}, track: evaluation}
default_track: general
"""


def write_nurture(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "nurture.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    return load_nurture(write_nurture(tmp_path_factory.mktemp("nurture"), yaml.safe_load(NURTURE_YML)))


@pytest.mark.parametrize(
    "facts, track_id",
    [
        (dict(authority="none", need="I'm looking for a job in sales"), "careers"),
        (dict(authority="none", need="jobsearch"), "closed"),  # keywords are whole words
        (dict(authority="none", need="comparing your features for our own product", tier="unqualified"), "closed"),
        (dict(authority="none", tier="mql", need="SOC 2 for my thesis"), "closed"),  # non-prospects first
        (dict(tier="unqualified", authority="user"), "closed"),
        (dict(stage="rejected", tier="sql", need="crm integration"), "recycled"),
        (dict(tier="mql", need="We must pass a SOC 2 audit"), "security-compliance"),
        (dict(tier="mql", need="integrate with our CRM"), "integrations"),
        (dict(tier="mql", need="faster reporting"), "evaluation"),
        (dict(tier="sql", need="capital planning"), "general"),  # "api" is not a word in "capital"
        (dict(), "general"),
    ],
)
def test_the_first_matching_rule_picks_the_track(tracks, facts, track_id):
    assert choose_track(tracks, LeadFacts(visitor_id="v", **facts)).id == track_id


def test_closed_tracks_enrol_nobody(tracks):
    for track in tracks.tracks:
        assert track.closed == (track.enrolment_list is None)
        assert all(offer.url.startswith("https://") for offer in track.content)
    assert tracks.track("careers").closed and tracks.track("careers").content[0].title == "Open positions"


def test_enrolment_moves_the_stage_and_queues_the_webhook(tracks, sqlite_store):
    notifications = Notifications(marketing_webhook_url="http://marketing.test/enrol")
    sqlite_store.record_answer("mql", "email", "a@b.example", {"email": "a@b.example"})
    track = enrol_in_nurture(sqlite_store, tracks, LeadFacts("mql", tier="mql", need="GDPR compliance"), notifications)
    assert track.id == "security-compliance"
    assert sqlite_store.get_lead("mql")["stage"] == "nurture"

    closed = enrol_in_nurture(sqlite_store, tracks, LeadFacts("student", authority="none"), notifications)
    assert closed.id == "closed"
    assert sqlite_store.get_lead("student") is None  # nothing recorded for sales

    with sqlite_store.session() as session:
        [message] = session.execute(select(OutboxMessage)).scalars()
    assert (message.kind, message.target) == ("webhook", "http://marketing.test/enrol")
    assert message.payload["event"] == "nurture.enrol"
    assert message.payload["track"]["list"] == "nurture-security"
    assert message.payload["lead"]["email"] == "a@b.example"


MISTAKES = [
    (lambda d: d["tracks"][0].update(list="careers-list"), "tracks[0].list", "a closed track enrols nobody"),
    (lambda d: d["tracks"][2].pop("list"), "tracks[2].list", "is required"),
    (lambda d: d["tracks"][3]["content"][0].update(url="www.example.com"), "tracks[3].content[0].url", "http(s) URL"),
    (lambda d: d["tracks"][1].update(id="careers"), "tracks[1].id", "duplicate track id"),
    (lambda d: d["rules"][0].update(track="jobs"), "rules[0].track", "no track with id 'jobs'"),
    (lambda d: d["rules"][0]["when"].update(role=["cto"]), "rules[0].when.role", "unknown key"),
    (lambda d: d["rules"][0]["when"].update(need_keywords="job"), "rules[0].when.need_keywords", "must be a list"),
    (lambda d: d["rules"][0]["when"].update(tier=[""]), "rules[0].when.tier[0]", "must be non-empty text"),
    (
        lambda d: d["tracks"][2].update(colour="red"),
        "tracks[2].colour",
        "unknown key (expected one of: closed, content, id, list, name)",
    ),
    (lambda d: d.update(default_track="nowhere"), "default_track", "no track with id 'nowhere'"),
]


@pytest.mark.parametrize("change, key, problem", MISTAKES)
def test_mistakes_name_file_key_and_problem(tmp_path, change, key, problem):
    data = yaml.safe_load(NURTURE_YML)
    change(data)
    path = write_nurture(tmp_path, data)
    with pytest.raises(ConfigError) as error:
        load_nurture(path)
    assert (error.value.path, error.value.key) == (str(path), key)
    assert problem in error.value.problem
