"""POST /track: behavioural events from tracker.js (and server-side senders).

Body: `{"events": [{"id", "type", "url", "referrer", "occurred_at", "utm", "properties"},
...]}`, or a single event's fields alone; either may name its `visitor_id`.

Whose events they are: the visitor id of the request's `lq_vid` cookie, whose proof the web app
signed (webapp.visitors). A body naming another id than its cookie's, or naming one with no
valid cookie, is refused (403) and nothing is stored; a request with no valid cookie and no id
gets a fresh id and its cookie. Server-to-server senders (the marketing tool's e-mail clicks)
have no cookie: they sign the body (`X-Track-Signature: sha256=HEX`, HMAC-SHA256 with
TRACK_SERVER_SECRET) and name the visitor in it; unsigned, badly signed, or with no secret
configured, they are refused (403).

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
import math
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, Extra, StrictStr, ValidationError, constr, create_model, validator
from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy.exc import SQLAlchemyError

from appconfig.inputs import VISITOR_ID, origin_allowed
from appconfig.settings import Settings
from appconfig.visitor_proof import VisitorProof, body_signed
from appconfig.yamlfile import Checked, dotted_key, kind
from leaddb.base import utcnow
from leaddb.events import EVENT_TYPES, UTM_FIELDS, TrackedEvent, ingest_events

from .limits import RateLimiters, client_address, too_many_requests
from .privacy import may_store_events, privacy_for
from .visitors import cookie_proof, ensure_visitor, set_visitor_cookie

logger = logging.getLogger(__name__)

tracking = Blueprint("tracking")

EVENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
PROPERTY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
ACCEPTED_CONTENT_TYPES = ("application/json", "text/plain")
MAX_URL_LENGTH = 2048
MAX_TEXT_LENGTH = 500
MAX_PROPERTIES = 30
MAX_ERRORS_REPORTED = 20
# Browser clocks drift; an event a little "in the future" is still believable.
MAX_CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class TrackingLimits:
    max_body_bytes: int
    max_events_per_batch: int
    max_event_age: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackingLimits:
        """TRACK_MAX_BODY_BYTES, TRACK_MAX_EVENTS and TRACK_MAX_EVENT_AGE_DAYS."""
        return cls(
            max_body_bytes=settings.track_max_body_bytes,
            max_events_per_batch=settings.track_max_events,
            max_event_age=timedelta(days=settings.track_max_event_age_days),
        )


class TrackingError(Exception):
    """A request we refuse: the HTTP status, a summary and the problems, each naming its field."""

    def __init__(self, status: int, summary: str, errors: list[dict[str, str]]):
        super().__init__(summary)
        self.status, self.summary, self.errors = status, summary, errors


def _problem(field: str, problem: str) -> dict[str, str]:
    return {"field": field, "problem": problem}


# -- CORS -----------------------------------------------------------------------------------


def _allowed_origin(request: Request) -> tuple[bool, str | None]:
    """(allowed, origin to echo in CORS headers). Requests without Origin are not from a
    browser page on another site (server-to-server, curl) and need no CORS headers."""
    origin = request.headers.get("origin")
    if origin is None:
        return True, None
    # Scheme, host and port, against configured values only: the Host header is the client's.
    settings = request.app.ctx.settings
    if origin_allowed(origin, (*settings.allowed_origins, settings.public_base_url)):
        return True, origin
    return False, None


def _with_cors(response: HTTPResponse, origin: str | None) -> HTTPResponse:
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        # tracker.js on an allowed site sends its cookies (credentials: "include"): the visitor
        # id's proof and the visitor's consent.
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
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
    # Rate limits (config/limits.yml): every request counts against its address; the events of
    # a valid batch against its visitor id. A 429 stores nothing.
    rate_limits: RateLimiters = request.app.ctx.rate_limits
    wait = rate_limits.track_per_ip.take(client_address(request))
    if wait:
        return _with_cors(too_many_requests(wait, "client address"), origin)
    if not may_store_events(request.headers, request.cookies, privacy_for(request.app.ctx.settings.config_dir)):
        return _with_cors(json_response({"accepted": 0, "duplicates": 0, "stored": False}), origin)
    limits: TrackingLimits = request.app.ctx.tracking_limits
    signature = request.headers.get("x-track-signature")
    try:
        body = await _read_body(request, limits)
        if signature is not None:
            _check_server_signature(body, signature, request.app.ctx.settings)
        claimed, bodies = parse_track_body(_decode_json(body), utcnow(), limits)
        visitor_id, new_proof = _whose_events(request, claimed, signed=signature is not None)
    except TrackingError as error:
        return _with_cors(json_response({"error": error.summary, "errors": error.errors}, status=error.status), origin)
    events = [event.tracked(visitor_id) for event in bodies]
    wait = rate_limits.track_events_per_visitor.take(visitor_id, len(events))
    if wait:
        return _with_cors(too_many_requests(wait, "visitor_id"), origin)

    try:
        result = await asyncio.to_thread(ingest_events, request.app.ctx.store.engine, events)
    except SQLAlchemyError:
        logger.exception("storing %d events for visitor %s failed", len(events), visitor_id)
        return _with_cors(
            json_response({"error": "events could not be stored now; send them again later"}, status=503), origin
        )
    response = json_response({"accepted": result.accepted, "duplicates": result.duplicates})
    if new_proof is not None:
        set_visitor_cookie(response, request, new_proof)
    return _with_cors(response, origin)


def _check_server_signature(body: bytes, signature: str, settings: Settings) -> None:
    if not settings.track_server_secret:
        raise TrackingError(
            403,
            "server-to-server events are not accepted",
            [_problem("X-Track-Signature", "this server has no TRACK_SERVER_SECRET to check it with")],
        )
    if not body_signed(body, signature, settings.track_server_secret):
        raise TrackingError(
            403,
            "bad signature",
            [_problem("X-Track-Signature", "must be sha256=<hex HMAC-SHA256 of the body with TRACK_SERVER_SECRET>")],
        )


def _whose_events(request: Request, claimed: str | None, signed: bool) -> tuple[str, VisitorProof | None]:
    """(the visitor id to store the events under, a proof to set as the cookie or None)."""
    if signed:
        if claimed is None:
            raise TrackingError(422, "invalid events", [_problem("visitor_id", "is required in a signed request")])
        return claimed, None
    if claimed is not None:
        proof = cookie_proof(request)
        if proof is None or proof.visitor_id != claimed:
            raise TrackingError(
                403,
                "visitor id not proven",
                [
                    _problem(
                        "visitor_id",
                        "events are accepted only for the visitor id of this browser's lq_vid cookie "
                        "(or, server to server, with X-Track-Signature)",
                    )
                ],
            )
    proof, renewed = ensure_visitor(request)
    return proof.visitor_id, proof if renewed else None


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
    assert request.stream is not None  # the route is declared with stream=True
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

    def finite(number: str) -> float:  # 1e400 would be stored as Infinity
        value = float(number)
        if not math.isfinite(value):
            raise TrackingError(400, "malformed JSON", [_problem("body", f"number {number[:40]} is too large")])
        return value

    try:
        return json.loads(body.decode("utf-8"), parse_constant=reject_constant, parse_float=finite)
    except UnicodeDecodeError:
        raise TrackingError(400, "malformed body", [_problem("body", "is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise TrackingError(
            400,
            "malformed JSON",
            [_problem("body", f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")],
        ) from None
    except RecursionError:
        raise TrackingError(400, "malformed JSON", [_problem("body", "is nested too deeply")]) from None


# -- the body, declared ---------------------------------------------------------------------

# Pydantic 1 validators get no per-call arguments: the request's clock and limits reach the
# time and batch-size checks through this variable, set by parse_track_body.
_checking: ContextVar[tuple[datetime, TrackingLimits]] = ContextVar("tracking_checks")

# Problems where saying what was sent helps ("must be text, got a number").
_WRONG_KIND = {"type_error.str", "type_error.dict", "type_error.list"}

Url = Checked[str, constr(strict=True, max_length=MAX_URL_LENGTH)]
UtmText = Checked[str, constr(strict=True, max_length=255)]


class _Body(BaseModel):
    """What every /track model shares: unknown fields are refused; messages read as problems."""

    class Config:
        extra = Extra.forbid
        error_msg_templates = {
            "value_error.missing": "is required",
            "value_error.extra": "unknown field",
            "type_error.none.not_allowed": "must not be null",
            "type_error.str": "must be text",
            "type_error.dict": "must be an object",
            "type_error.list": "must be a list",
            "value_error.any_str.max_length": "must be at most {limit_value} characters",
        }


class PropertyValue:
    """A property value: text of at most MAX_TEXT_LENGTH characters, a number or true/false
    (null passes through the Optional around it)."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
            raise ValueError(f"must be at most {MAX_TEXT_LENGTH} characters")
        if not isinstance(value, (str, bool, int, float)):
            raise ValueError(f"must be text, a number, true/false or null, got {_kind(value)}")
        return value


# One optional text field per name in leaddb.events.UTM_FIELDS (source, medium, ...).
_utm_fields: dict[str, Any] = {name: (Optional[UtmText], None) for name in UTM_FIELDS}  # noqa: UP045 - pydantic 1 reads this at run time
Utm = create_model("Utm", __base__=_Body, **_utm_fields)


class EventBody(_Body):
    id: StrictStr
    type: StrictStr
    url: Url | None = None
    referrer: Url | None = None
    occurred_at: datetime
    utm: Checked[_Body, Utm] | None = None  # none: the utm_* parameters of the url
    properties: dict[str, PropertyValue | None] = {}

    @validator("id")
    def _event_id(cls, value: str) -> str:
        if not EVENT_ID.fullmatch(value):
            raise ValueError("must be 8-64 letters, digits, '-' or '_' (a random UUID)")
        return value

    @validator("type")
    def _known_type(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r} (expected one of: {', '.join(EVENT_TYPES)})")
        return value

    @validator("url", "referrer", pre=True)
    def _blank_is_absent(cls, value: Any) -> Any:
        return None if value == "" else value

    @validator("url", always=True)
    def _page_url(cls, value: str | None, values: dict) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an absolute http(s) URL")
        if value is None and values.get("type") in ("page_view", "pricing_view"):
            raise ValueError(f"is required for {values['type']}")
        return value

    @validator("occurred_at", pre=True)
    def _iso_time_with_zone(cls, value: Any) -> datetime:
        example = "an ISO 8601 time with a time zone, e.g. 2024-05-01T09:30:00Z"
        if not isinstance(value, str):
            raise ValueError(f"must be {example}, got {_kind(value)}")
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
        except ValueError:
            raise ValueError(f"must be {example}, got {value!r}") from None
        if moment.tzinfo is None:
            raise ValueError("must include a time zone (e.g. a trailing Z)")
        try:
            return moment.astimezone(timezone.utc)
        except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
            raise ValueError(f"is out of range ({value!r})") from None

    @validator("occurred_at")
    def _believable_time(cls, moment: datetime) -> datetime:
        now, limits = _checking.get()
        if moment > now + MAX_CLOCK_SKEW:
            raise ValueError(f"is in the future ({moment.isoformat()})")
        if moment < now - limits.max_event_age:
            raise ValueError(f"is older than {limits.max_event_age.days} days ({moment.isoformat()})")
        return moment

    @validator("properties", pre=True)
    def _property_names(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, dict):
            if len(value) > MAX_PROPERTIES:
                raise ValueError(f"at most {MAX_PROPERTIES} properties, got {len(value)}")
            for name in value:
                if not PROPERTY_NAME.fullmatch(name):
                    raise ValueError(f"property names are 1-64 letters, digits, '.', '-' or '_', got {name[:64]!r}")
        return value

    @validator("url", "referrer", "properties", "utm", pre=True)
    def _storable_text(cls, value: Any) -> Any:
        _check_storable(value)
        return value

    def tracked(self, visitor_id: str) -> TrackedEvent:
        if self.utm is not None:
            utm = {name: text for name, text in self.utm.dict().items() if text}
        else:
            query: dict[str, list[str]] = parse_qs(urlsplit(self.url).query) if self.url else {}
            utm = {name: query[f"utm_{name}"][0][:255] for name in UTM_FIELDS if query.get(f"utm_{name}")}
        return TrackedEvent(
            event_id=self.id,
            visitor_id=visitor_id,
            type=self.type,
            occurred_at=self.occurred_at,
            url=self.url,
            referrer=self.referrer,
            utm=utm,
            properties=self.properties,
        )


def _check_storable(value: Any) -> None:
    """NUL and lone surrogates (JSON's "\\ud800") cannot be stored: UTF-8 has no lone
    surrogate and PostgreSQL text has no NUL."""
    texts = [value] if isinstance(value, str) else []
    if isinstance(value, dict):
        texts = [str(item) for pair in value.items() for item in pair if isinstance(item, str)]
    for text in texts:
        if "\x00" in text:
            raise ValueError("must not contain NUL characters")
        if any("\ud800" <= char <= "\udfff" for char in text):
            raise ValueError("must not contain lone surrogates (invalid Unicode)")


class _VisitorBody(_Body):
    visitor_id: StrictStr | None = None  # none: the cookie's

    @validator("visitor_id")
    def _visitor_id(cls, value: str | None) -> str | None:
        if value is not None and not VISITOR_ID.fullmatch(value):
            raise ValueError("must be 8-128 letters, digits, '-' or '_' (the site's visitor id)")
        return value


class BatchBody(_VisitorBody):
    events: list[EventBody]

    @validator("events", pre=True)
    def _batch_size(cls, value: Any) -> Any:
        limit = _checking.get()[1].max_events_per_batch
        if isinstance(value, list) and not value:
            raise ValueError("must contain at least one event")
        if isinstance(value, list) and len(value) > limit:
            raise ValueError(f"at most {limit} events per request, got {len(value)}")
        return value


class SingleEventBody(EventBody, _VisitorBody):
    """One event, its fields beside visitor_id."""


def parse_track_body(data: Any, now: datetime, limits: TrackingLimits) -> tuple[str | None, list[EventBody]]:
    """Check a decoded /track body: (the visitor id it names or None, its events). Every
    problem found is reported at once (up to a limit)."""
    if not isinstance(data, dict):
        raise TrackingError(422, "invalid events", [_problem("body", f"must be a JSON object, got {_kind(data)}")])
    token = _checking.set((now, limits))
    try:
        if "events" in data:
            batch = BatchBody.parse_obj(data)
            return batch.visitor_id, batch.events
        single = SingleEventBody.parse_obj(data)
        return single.visitor_id, [single]
    except ValidationError as error:
        raise TrackingError(422, "invalid events", _problems(error, data)[:MAX_ERRORS_REPORTED]) from None
    finally:
        _checking.reset(token)


def _problems(error: ValidationError, data: dict) -> list[dict[str, str]]:
    problems = []
    for item in error.errors():
        problem = item["msg"]
        if item["type"] in _WRONG_KIND:
            problem += f", got {_kind(_value_at(data, item['loc']))}"
        problems.append(_problem(_field_path(item["loc"]), problem))
    return problems


def _field_path(loc: tuple) -> str:
    return dotted_key(loc) or "body"


def _value_at(data: Any, loc: tuple) -> Any:
    for part in loc:
        data = data[part]
    return data


def _kind(value: Any) -> str:
    return kind(value, none="null", mapping="an object")  # JSON's words: the sender wrote JSON
