"""The links a visitor asked for in the chat (handoff.data_requests), emailed to their address:

- `GET /privacy/export?token=...`: everything stored about the address, as a page with the
  JSON and its counts; `&download=1` sends the JSON as a file. Works until the link expires.
- `GET /privacy/erase?token=...`: asks to confirm; erases nothing (mail scanners open links).
- `POST /privacy/erase` (form field `token`): erases, once, and shows what went. The token in
  the form is the proof; a cross-site form post cannot know it, and a foreign Origin is refused.

A bad, expired or used link gets a page that says which, and nothing about the person. The
pages carry the rep pages' headers (no-store, no Referer, strict CSP) and their rate limit.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html
from sqlalchemy.exc import SQLAlchemyError

from appconfig.inputs import origin_allowed
from handoff.data_requests import DataRequestRefused, check_link, claim_erasure
from leaddb.base import utcnow
from leaddb.privacy import TrackerStore, erase_person, export_person, to_json

from .reps import guard_token_links

data_requests = Blueprint("data_requests", url_prefix="/privacy")
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_TITLES = {"not_found": "Link not valid", "expired": "Link expired", "used": "Link already used"}
_STATUS = {"not_found": 404, "expired": 410, "used": 410}
_AGAIN = " Ask the chat on our website for a new link if you still need one."
# The export's lists, in the order the page counts them, with the words it uses.
_SECTIONS = {
    "leads": "conversations with the assistant (leads)",
    "lead_answers": "answers",
    "qualification_decisions": "qualification decisions",
    "stage_transitions": "stage changes",
    "person_requests": "requests for a person",
    "lead_assignments": "sales rep assignments",
    "meetings": "meetings",
    "offered_times": "meeting times offered",
    "events": "website visit events",
    "chat_events": "chat events",
    "outbox": "messages sent or queued",
    "data_requests": "data requests",
    "transcript": "chat transcript events",
    "tracker_events": "chat transcript events",
}


guard_token_links(data_requests)


def _page(name: str, status: int = 200, **values) -> HTTPResponse:
    return html(_templates.get_template(name).render(**values), status=status)


def _refused(refused: DataRequestRefused) -> HTTPResponse:
    return _page(
        "message.html",
        _STATUS.get(refused.code, 400),
        title=_TITLES.get(refused.code, "Link not valid"),
        message=str(refused).capitalize() + "." + _AGAIN,
    )


def _unavailable() -> HTTPResponse:
    return _page("message.html", 503, title="Not available just now", message="Please try the link again later.")


def _counts(result: dict, keys) -> list[tuple[str, int]]:
    return [(_SECTIONS.get(key, key), result[key]) for key in keys]


@data_requests.get("/export")
async def export_page(request: Request) -> HTTPResponse:
    store = request.app.ctx.store
    token = request.args.get("token")
    try:
        email = await asyncio.to_thread(check_link, store, "export", token, utcnow())
        exported = await asyncio.to_thread(_export, request, email)
    except DataRequestRefused as refused:
        return _refused(refused)
    except SQLAlchemyError:
        return _unavailable()
    document = to_json(exported)
    if request.args.get("download"):
        return HTTPResponse(
            document,
            content_type="application/json; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
        )
    counts = _counts(exported, [key for key in _SECTIONS if key in exported])
    return _page("data_export.html", title="Your data", counts=counts, document=document, token=token)


def _export(request: Request, email: str) -> dict:
    tracker = TrackerStore(request.app.ctx.settings.tracker_store_url)
    try:
        return export_person(request.app.ctx.store, tracker, email=email)
    finally:
        tracker.dispose()


@data_requests.get("/erase")
async def erase_page(request: Request) -> HTTPResponse:
    token = request.args.get("token")
    try:
        await asyncio.to_thread(check_link, request.app.ctx.store, "erase", token, utcnow())
    except DataRequestRefused as refused:
        return _refused(refused)
    except SQLAlchemyError:
        return _unavailable()
    return _page("data_erase.html", title="Erase your data", token=token)


@data_requests.post("/erase")
async def erase(request: Request) -> HTTPResponse:
    settings = request.app.ctx.settings
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin, (settings.public_base_url, *settings.allowed_origins)):
        return _page("message.html", 403, title="Not erased", message="This form can only be sent from our own site.")
    token = request.form.get("token") if request.form else None
    try:
        email = await asyncio.to_thread(claim_erasure, request.app.ctx.store, token, utcnow())
        erased = await asyncio.to_thread(_erase, request, email)
    except DataRequestRefused as refused:
        return _refused(refused)
    except SQLAlchemyError:
        return _unavailable()
    removed = erased["removed"]
    return _page("data_erased.html", title="Your data is erased", counts=_counts(removed, removed))


def _erase(request: Request, email: str) -> dict:
    tracker = TrackerStore(request.app.ctx.settings.tracker_store_url)
    try:
        return erase_person(request.app.ctx.store, tracker, email=email)
    finally:
        tracker.dispose()
