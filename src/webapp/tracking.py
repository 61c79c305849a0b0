"""POST /track: behavioural events from tracker.js (and server-side senders).

Body: `{"visitor_id": "...", "events": [{"id", "type", "url", "referrer", "occurred_at",
"utm", "properties"}, ...]}`, or a single event with its `visitor_id` beside its fields.
The whole batch is checked first and refused as one with every problem named (a batch is
either stored or not, so the sender can simply resend it); an id seen before is counted as
a duplicate, never as an error.

tracker.js sends `text/plain` (what `navigator.sendBeacon` sends, and no CORS preflight);
`application/json` is accepted as well. Browsers always send an `Origin` header with a POST,
so checking it against the configured site origins keeps other sites from posting events.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json as json_response
from sqlalchemy.exc import SQLAlchemyError

from leaddb.base import utcnow
from leaddb.events import EVENT_TYPES, UTM_FIELDS, TrackedEvent, ingest_events

logger = logging.getLogger(__name__)

tracking = Blueprint("tracking")

VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{8,128}")
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
PROPERTY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
EVENT_FIELDS = frozenset({"id", "type", "url", "referrer", "occurred_at", "utm", "properties"})
ACCEPTED_CONTENT_TYPES = ("application/json", "text/plain")
MAX_URL_LENGTH = 2048
MAX_TEXT_LENGTH = 500
MAX_PROPERTIES = 30
MAX_ERRORS_REPORTED = 20
# Browser clocks drift; an event a little "in the future" is still believable.
MAX_CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class TrackingLimits:
    max_body_bytes: int = 64 * 1024
    max_events_per_batch: int = 100
    max_event_age: timedelta = timedelta(days=30)

    @classmethod
    def from_env(cls) -> "TrackingLimits":
        """TRACK_MAX_BODY_BYTES, TRACK_MAX_EVENTS and TRACK_MAX_EVENT_AGE_DAYS override the defaults."""
        defaults = cls()
        return cls(
            max_body_bytes=_positive_env("TRACK_MAX_BODY_BYTES", defaults.max_body_bytes),
            max_events_per_batch=_positive_env("TRACK_MAX_EVENTS", defaults.max_events_per_batch),
            max_event_age=timedelta(days=_positive_env("TRACK_MAX_EVENT_AGE_DAYS", defaults.max_event_age.days)),
        )


def _positive_env(name: str, default: int) -> int:
    raw = os.getenv(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


class TrackingError(Exception):
    """A request we refuse: the HTTP status, a summary and the problems, each naming its field."""

    def __init__(self, status: int, summary: str, errors: list[dict[str, str]]):
        super().__init__(summary)
        self.status, self.summary, self.errors = status, summary, errors


def _problem(field: str, problem: str) -> dict[str, str]:
    return {"field": field, "problem": problem}


# -- CORS -----------------------------------------------------------------------------------


def _allowed_origin(request: Request) -> tuple[bool, Optional[str]]:
    """(allowed, origin to echo in CORS headers). Requests without Origin are not from a
    browser page on another site (server-to-server, curl) and need no CORS headers."""
    origin = request.headers.get("origin")
    if origin is None:
        return True, None
    if origin in request.app.ctx.settings.allowed_origins or urlsplit(origin).netloc == request.host:
        return True, origin
    return False, None


def _with_cors(response: HTTPResponse, origin: Optional[str]) -> HTTPResponse:
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _refuse_origin(request: Request) -> HTTPResponse:
    origin = request.headers.get("origin")
    return json_response(
        {"error": "origin not allowed", "errors": [_problem("Origin", f"{origin!r} is not a configured site origin")]},
        status=403,
    )


@tracking.route("/track", methods=["OPTIONS"])
async def track_preflight(request: Request) -> HTTPResponse:
    allowed, origin = _allowed_origin(request)
    if not allowed:
        return _refuse_origin(request)
    response = HTTPResponse(status=204)
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return _with_cors(response, origin)


# -- POST /track ----------------------------------------------------------------------------


# stream=True: the body is read here, chunk by chunk, so an oversized body is refused
# after `max_body_bytes` instead of being buffered whole.
@tracking.post("/track", stream=True)
async def track(request: Request) -> HTTPResponse:
    allowed, origin = _allowed_origin(request)
    if not allowed:
        return _refuse_origin(request)
    limits: TrackingLimits = request.app.ctx.tracking_limits
    try:
        body = await _read_body(request, limits)
        visitor_id, events = parse_track_body(_decode_json(body), utcnow(), limits)
    except TrackingError as error:
        return _with_cors(json_response({"error": error.summary, "errors": error.errors}, status=error.status), origin)

    try:
        result = await asyncio.to_thread(ingest_events, request.app.ctx.store.engine, events)
    except SQLAlchemyError:
        logger.exception("storing %d events for visitor %s failed", len(events), visitor_id)
        return _with_cors(json_response({"error": "events could not be stored now; send them again later"}, status=503), origin)
    return _with_cors(json_response({"accepted": result.accepted, "duplicates": result.duplicates}), origin)


async def _read_body(request: Request, limits: TrackingLimits) -> bytes:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise TrackingError(
            415,
            "unsupported content type",
            [_problem("Content-Type", f"must be application/json or text/plain, got {content_type or 'nothing'!r}")],
        )
    too_large = TrackingError(
        413, "body too large", [_problem("body", f"must be at most {limits.max_body_bytes} bytes")]
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise too_large
    body = bytearray()
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return bytes(body)
        body += chunk
        if len(body) > limits.max_body_bytes:
            raise too_large


def _decode_json(body: bytes) -> Any:
    def reject_constant(name: str) -> None:  # NaN and Infinity are not JSON, and databases refuse them
        raise TrackingError(400, "malformed JSON", [_problem("body", f"is not valid JSON: {name} is not allowed")])

    try:
        return json.loads(body.decode("utf-8"), parse_constant=reject_constant)
    except UnicodeDecodeError:
        raise TrackingError(400, "malformed body", [_problem("body", "is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise TrackingError(
            400, "malformed JSON", [_problem("body", f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")]
        ) from None
    except RecursionError:
        raise TrackingError(400, "malformed JSON", [_problem("body", "is nested too deeply")]) from None


def parse_track_body(data: Any, now: datetime, limits: TrackingLimits) -> tuple[str, list[TrackedEvent]]:
    """Check a decoded /track body; every problem found is reported at once (up to a limit)."""
    if not isinstance(data, dict):
        raise TrackingError(422, "invalid events", [_problem("body", f"must be a JSON object, got {_kind(data)}")])
    errors: list[dict[str, str]] = []
    visitor_id = data.get("visitor_id")
    if visitor_id is None:
        errors.append(_problem("visitor_id", "is required"))
    elif not isinstance(visitor_id, str) or not VISITOR_ID.fullmatch(visitor_id):
        errors.append(_problem("visitor_id", "must be 8-128 letters, digits, '-' or '_' (the tracker.js visitor id)"))

    if "events" in data:
        unknown = sorted(set(data) - {"visitor_id", "events"})
        raw_events = data["events"]
        if not isinstance(raw_events, list):
            errors.append(_problem("events", f"must be a list, got {_kind(raw_events)}"))
            raw_events = []
        elif not raw_events:
            errors.append(_problem("events", "must contain at least one event"))
        elif len(raw_events) > limits.max_events_per_batch:
            errors.append(_problem("events", f"at most {limits.max_events_per_batch} events per request, got {len(raw_events)}"))
            raw_events = []
        prefixes = [f"events[{index}]." for index in range(len(raw_events))]
    else:  # a single event, its fields beside visitor_id
        single = {key: value for key, value in data.items() if key != "visitor_id"}
        unknown = sorted(set(single) - EVENT_FIELDS)
        raw_events, prefixes = [single], [""]
    errors.extend(_problem(name, "unknown field") for name in unknown)

    events = []
    for raw, prefix in zip(raw_events, prefixes):
        event = _parse_event(raw, prefix, visitor_id, now, limits, errors)
        if event is not None:
            events.append(event)
        if len(errors) >= MAX_ERRORS_REPORTED:
            break
    if errors:
        raise TrackingError(422, "invalid events", errors[:MAX_ERRORS_REPORTED])
    return visitor_id, events


def _parse_event(
    raw: Any, prefix: str, visitor_id: Any, now: datetime, limits: TrackingLimits, errors: list[dict[str, str]]
) -> Optional[TrackedEvent]:
    if not isinstance(raw, dict):
        errors.append(_problem(prefix.rstrip(".") or "body", f"must be an object, got {_kind(raw)}"))
        return None
    before = len(errors)
    if prefix:
        errors.extend(_problem(f"{prefix}{name}", "unknown field") for name in sorted(set(raw) - EVENT_FIELDS))

    event_id = raw.get("id")
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        errors.append(_problem(f"{prefix}id", "is required: 8-64 letters, digits, '-' or '_' (a random UUID)"))

    event_type = raw.get("type")
    if event_type is None:
        errors.append(_problem(f"{prefix}type", "is required"))
    elif event_type not in EVENT_TYPES:
        errors.append(_problem(f"{prefix}type", f"unknown event type {event_type!r} (expected one of: {', '.join(EVENT_TYPES)})"))

    url = _optional_text(raw, "url", prefix, MAX_URL_LENGTH, errors)
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        errors.append(_problem(f"{prefix}url", "must be an absolute http(s) URL"))
    if url is None and event_type in ("page_view", "pricing_view"):
        errors.append(_problem(f"{prefix}url", f"is required for {event_type}"))
    referrer = _optional_text(raw, "referrer", prefix, MAX_URL_LENGTH, errors)

    occurred_at = _timestamp(raw.get("occurred_at"), f"{prefix}occurred_at", now, limits, errors)
    utm = _utm(raw.get("utm"), url, f"{prefix}utm", errors)
    properties = _properties(raw.get("properties"), f"{prefix}properties", errors)

    if len(errors) > before or not isinstance(visitor_id, str):
        return None
    return TrackedEvent(
        event_id=event_id, visitor_id=visitor_id, type=event_type, occurred_at=occurred_at,
        url=url, referrer=referrer, utm=utm, properties=properties,
    )


def _optional_text(raw: dict, name: str, prefix: str, max_length: int, errors: list) -> Optional[str]:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.append(_problem(f"{prefix}{name}", f"must be text, got {_kind(value)}"))
        return None
    if len(value) > max_length:
        errors.append(_problem(f"{prefix}{name}", f"must be at most {max_length} characters"))
        return None
    return value


def _timestamp(value: Any, field: str, now: datetime, limits: TrackingLimits, errors: list) -> Optional[datetime]:
    if value is None:
        errors.append(_problem(field, "is required (ISO 8601 with a time zone, e.g. 2024-05-01T09:30:00Z)"))
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError:
        errors.append(_problem(field, f"must be an ISO 8601 time with a time zone, e.g. 2024-05-01T09:30:00Z, got {value!r}"))
        return None
    if moment.tzinfo is None:
        errors.append(_problem(field, "must include a time zone (e.g. a trailing Z)"))
        return None
    moment = moment.astimezone(timezone.utc)
    if moment > now + MAX_CLOCK_SKEW:
        errors.append(_problem(field, f"is in the future ({value})"))
    elif moment < now - limits.max_event_age:
        errors.append(_problem(field, f"is older than {limits.max_event_age.days} days ({value})"))
    return moment


def _utm(value: Any, url: Optional[str], field: str, errors: list) -> dict[str, str]:
    """Explicit `utm` wins; otherwise the utm_* parameters of the page URL are used."""
    if value is None:
        query = parse_qs(urlsplit(url).query) if url else {}
        return {name: query[f"utm_{name}"][0][:255] for name in UTM_FIELDS if query.get(f"utm_{name}")}
    if not isinstance(value, dict):
        errors.append(_problem(field, f"must be an object, got {_kind(value)}"))
        return {}
    utm = {}
    for name, text in value.items():
        if name not in UTM_FIELDS:
            errors.append(_problem(f"{field}.{name}", f"unknown UTM field (expected one of: {', '.join(UTM_FIELDS)})"))
        elif not isinstance(text, str) or len(text) > 255:
            errors.append(_problem(f"{field}.{name}", "must be text of at most 255 characters"))
        elif text:
            utm[name] = text
    return utm


def _properties(value: Any, field: str, errors: list) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(_problem(field, f"must be an object, got {_kind(value)}"))
        return {}
    if len(value) > MAX_PROPERTIES:
        errors.append(_problem(field, f"at most {MAX_PROPERTIES} properties, got {len(value)}"))
        return {}
    for name, item in value.items():
        if not PROPERTY_NAME.fullmatch(name):
            errors.append(_problem(f"{field}.{name[:64]}", "property names are 1-64 letters, digits, '.', '-' or '_'"))
        elif isinstance(item, str):
            if len(item) > MAX_TEXT_LENGTH:
                errors.append(_problem(f"{field}.{name}", f"must be at most {MAX_TEXT_LENGTH} characters"))
        elif item is not None and not isinstance(item, (bool, int, float)):
            errors.append(_problem(f"{field}.{name}", f"must be text, a number, true/false or null, got {_kind(item)}"))
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )
