"""Nurture tracks (`config/nurture.yml`): what a lead that is not booking a meeting gets next.

Ordered rules on the lead's need keywords, tier, stage and authority pick a track; the track
holds content to offer in the chat and the marketing-automation list to enrol the lead in
(through the outbox). A `closed` track is for people who are not prospects (students, job
seekers, competitors): they may get content, but never a sales or marketing enrolment.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import Field, root_validator, validator
from sqlalchemy.orm import Session

from appconfig.yamlfile import Checked, CheckedValue, ConfigModel, Flag, ProblemAt, Text, kind, parse_config
from leaddb import LeadStore
from leaddb.leads import Lead

from .db import lead_for, move_stage
from .facts import LeadFacts
from .notify import Notifications, lead_summary
from .outbox import enqueue


class ContentOffer(ConfigModel):
    title: Text
    url: Text

    @validator("url")
    def _http_url(cls, url):
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"must be an http(s) URL, got {url!r}")
        return url


class Track(ConfigModel):
    id: Text
    name: Text
    closed: Checked[bool, Flag] = False  # not a prospect: no enrolment, no sales follow-up
    content: tuple[ContentOffer, ...] = ()
    enrolment_list: Text | None = Field(None, alias="list")  # the marketing-automation list or campaign id

    @root_validator(skip_on_failure=True)
    def _list_unless_closed(cls, values):
        if values["closed"] and values["enrolment_list"]:
            raise ProblemAt(("list",), "a closed track enrols nobody; remove `list` or set closed: false")
        if not values["closed"] and not values["enrolment_list"]:
            raise ProblemAt(
                ("list",), "is required (the marketing-automation list to enrol leads in) unless closed: true"
            )
        return values


class Keywords(CheckedValue):
    """Words or phrases, read as one pattern matching any of them as whole words, in any case."""

    @classmethod
    def validate(cls, value: Any) -> re.Pattern:
        if not isinstance(value, list):
            raise TypeError(f"must be a list of words or phrases, got {kind(value)} {value!r}")
        words = sorted(re.escape(Text.validate(word).strip().lower()) for word in value)
        return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


class Conditions(ConfigModel):
    """A rule's `when`: every condition given must hold."""

    need_keywords: Checked[re.Pattern[str], Keywords] | None = None
    tier: tuple[Text, ...] | None = None
    stage: tuple[Text, ...] | None = None
    authority: tuple[Text, ...] | None = None


class NurtureRule(ConfigModel):
    name: Text
    when: Conditions = Conditions()
    track: Text

    def matches(self, lead: LeadFacts) -> bool:
        when = self.when
        if when.need_keywords is not None and not (lead.need and when.need_keywords.search(lead.need)):
            return False
        return all(
            allowed is None or value in allowed
            for allowed, value in ((when.tier, lead.tier), (when.stage, lead.stage), (when.authority, lead.authority))
        )


class NurtureConfig(ConfigModel):
    tracks: tuple[Track, ...]
    rules: tuple[NurtureRule, ...]
    default_track: Text

    @root_validator(skip_on_failure=True)
    def _tracks_named_exist(cls, values):
        ids: list[str] = []
        for index, track in enumerate(values["tracks"]):
            if track.id in ids:
                raise ProblemAt(("tracks", index, "id"), f"duplicate track id {track.id!r}")
            ids.append(track.id)
        for index, rule in enumerate(values["rules"]):
            if rule.track not in ids:
                raise ProblemAt(
                    ("rules", index, "track"), f"no track with id {rule.track!r} (tracks: {', '.join(ids)})"
                )
        if values["default_track"] not in ids:
            raise ProblemAt(("default_track",), f"no track with id {values['default_track']!r}")
        return values

    def track(self, track_id: str) -> Track:
        return next(track for track in self.tracks if track.id == track_id)


def load_nurture(path: Path | str) -> NurtureConfig:
    return parse_config(NurtureConfig, path)


def choose_track(config: NurtureConfig, lead: LeadFacts) -> Track:
    """The track of the first rule that matches, else the default track."""
    for rule in config.rules:
        if rule.matches(lead):
            return config.track(rule.track)
    return config.track(config.default_track)


def enrol_in_nurture(
    db: LeadStore, config: NurtureConfig, lead: LeadFacts, notifications: Notifications, now: datetime | None = None
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


def enqueue_enrolment(session: Session, url: str, track: Track, lead: Lead, now: datetime | None = None) -> None:
    if track.closed:
        return
    payload = {
        "event": "nurture.enrol",
        "track": {"id": track.id, "name": track.name, "list": track.enrolment_list},
        "lead": lead_summary(lead),
    }
    enqueue(session, "webhook", url, payload, now)
