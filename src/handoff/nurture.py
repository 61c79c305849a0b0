"""Nurture tracks (`config/nurture.yml`): what a lead that is not booking a meeting gets next.

Ordered rules on the lead's need keywords, tier, stage and authority pick a track; the track
holds content to offer in the chat and the marketing-automation list to enrol the lead in
(through the outbox). A `closed` track is for people who are not prospects (students, job
seekers, competitors): they may get content, but never a sales or marketing enrolment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from leaddb import LeadStore
from leaddb.leads import Lead
from appconfig.yamlfile import ConfigError, Section, load_yaml

from .db import lead_for, move_stage
from .facts import LeadFacts
from .notify import Notifications, lead_summary
from .outbox import enqueue

RULE_FACTS = ("need_keywords", "tier", "stage", "authority")


@dataclass(frozen=True)
class ContentOffer:
    title: str
    url: str


@dataclass(frozen=True)
class Track:
    id: str
    name: str
    closed: bool  # not a prospect: no enrolment, no sales follow-up
    content: tuple[ContentOffer, ...]
    enrolment_list: Optional[str]  # the marketing-automation list or campaign id


@dataclass(frozen=True)
class NurtureRule:
    name: str
    need_keywords: Optional[re.Pattern]  # whole words or phrases, any case
    tier: Optional[frozenset[str]]
    stage: Optional[frozenset[str]]
    authority: Optional[frozenset[str]]
    track: str

    def matches(self, lead: LeadFacts) -> bool:
        if self.need_keywords is not None and not (lead.need and self.need_keywords.search(lead.need)):
            return False
        return all(
            allowed is None or value in allowed
            for allowed, value in ((self.tier, lead.tier), (self.stage, lead.stage), (self.authority, lead.authority))
        )


@dataclass(frozen=True)
class NurtureConfig:
    path: str
    tracks: dict[str, Track]
    rules: tuple[NurtureRule, ...]
    default_track: str


def load_nurture(path: Path | str) -> NurtureConfig:
    root = load_yaml(path)
    root.check_keys({"tracks", "rules", "default_track"})
    tracks: dict[str, Track] = {}
    for item in root.sections("tracks"):
        track = _track(item)
        if track.id in tracks:
            raise item.error("id", f"duplicate track id {track.id!r}")
        tracks[track.id] = track
    rules = tuple(_rule(item, tracks) for item in root.sections("rules"))
    default_track = root.str("default_track")
    if default_track not in tracks:
        raise root.error("default_track", f"no track with id {default_track!r}")
    return NurtureConfig(path=str(path), tracks=tracks, rules=rules, default_track=default_track)


def choose_track(config: NurtureConfig, lead: LeadFacts) -> Track:
    """The track of the first rule that matches, else the default track."""
    for rule in config.rules:
        if rule.matches(lead):
            return config.tracks[rule.track]
    return config.tracks[config.default_track]


def enrol_in_nurture(
    db: LeadStore, config: NurtureConfig, lead: LeadFacts, notifications: Notifications, now: Optional[datetime] = None
) -> Track:
    """Choose the lead's track; unless it is closed, move the lead to the nurture stage and
    queue its enrolment, in one transaction. Returns the track (offer its content in the chat)."""
    track = choose_track(config, lead)
    if track.closed:
        return track
    with db.session() as session:
        row = lead_for(session, lead.visitor_id)
        move_stage(session, row, "nurture", f"nurture track {track.id}")
        if notifications.marketing_webhook_url:
            enqueue_enrolment(session, notifications.marketing_webhook_url, track, row, now)
    return track


def enqueue_enrolment(session: Session, url: str, track: Track, lead: Lead, now: Optional[datetime] = None) -> None:
    if track.closed:
        return
    payload = {
        "event": "nurture.enrol",
        "track": {"id": track.id, "name": track.name, "list": track.enrolment_list},
        "lead": lead_summary(lead),
    }
    enqueue(session, "webhook", url, payload, now)


def _track(item: Section) -> Track:
    item.check_keys({"id", "name", "closed", "content", "list"})
    closed = item.bool("closed", False)
    enrolment_list = item.str("list", None)
    if closed and enrolment_list:
        raise item.error("list", "a closed track enrols nobody; remove `list` or set closed: false")
    if not closed and not enrolment_list:
        raise item.error("list", "is required (the marketing-automation list to enrol leads in) unless closed: true")
    content = []
    for offer in item.sections("content", []):
        offer.check_keys({"title", "url"})
        url = offer.str("url")
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise offer.error("url", f"must be an http(s) URL, got {url!r}")
        content.append(ContentOffer(offer.str("title"), url))
    return Track(id=item.str("id"), name=item.str("name"), closed=closed, content=tuple(content), enrolment_list=enrolment_list)


def _names(section: Section, name: str) -> Optional[frozenset[str]]:
    if name not in section:
        return None
    values = section.list(name)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(section.path, f"{section.where(name)}[{index}]", "must be non-empty text")
    return frozenset(values)


def _rule(item: Section, tracks: dict[str, Track]) -> NurtureRule:
    item.check_keys({"name", "when", "track"})
    when = item.section("when", {})
    when.check_keys(RULE_FACTS)
    keywords = _names(when, "need_keywords")
    track = item.str("track")
    if track not in tracks:
        raise item.error("track", f"no track with id {track!r} (tracks: {', '.join(tracks)})")
    pattern = None
    if keywords is not None:
        words = sorted(re.escape(word.strip().lower()) for word in keywords)
        pattern = re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)
    return NurtureRule(
        name=item.str("name"),
        need_keywords=pattern,
        tier=_names(when, "tier"),
        stage=_names(when, "stage"),
        authority=_names(when, "authority"),
        track=track,
    )
