"""The visitor's links to their meeting, from their confirmation email (handoff.visitor_meetings):

- `GET /meetings/visitor/<id>/reschedule?token=...`: the meeting and the open times of its rep
  within the booking horizon (`&after=` pages on); each time is a button of one form.
- `POST /meetings/visitor/<id>/reschedule` (form: token, csrf_token, start): moves it.
- `GET /meetings/visitor/<id>/cancel?token=...`: the meeting and a confirm button; cancels
  nothing (mail scanners open links).
- `POST /meetings/visitor/<id>/cancel` (form: token, csrf_token): cancels it.

A POST needs the link's token in its body and a CSRF token derived from it (an HMAC with
LEADQUAL_SECRET_KEY, as the console's forms have), and a foreign Origin is refused, so another
site cannot make a visitor's browser move or cancel anything. A forged, stale or spent link gets
a page that says which (403, 404, 410) and nothing about the meeting; a time that cannot be had,
409 or 422. The pages carry the rep pages' headers (no-store, no Referer, strict CSP) and their
rate limit.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html
from sqlalchemy.exc import SQLAlchemyError

from appconfig.inputs import origin_allowed
from appconfig.settings import secret_key
from handoff import MeetingTime, Notifications, format_meeting_time, load_roster, parse_time_payload
from handoff.visitor_meetings import (
    VisitorLinkRefused,
    cancel_meeting_by_visitor,
    move_meeting_by_visitor,
    reschedule_times,
    visitor_meeting,
)
from leaddb.base import utcnow

from .console.auth import csrf_ok, csrf_token
from .reps import guard_token_links

visitor_meetings = Blueprint("visitor_meetings", url_prefix="/meetings/visitor")
guard_token_links(visitor_meetings)

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_STATUS = {"not_found": 404, "bad_token": 403, "cancelled": 410, "started": 410, "time_taken": 409, "not_offered": 422}
_TITLES = {
    "not_found": "No such meeting",
    "bad_token": "Link not valid",
    "cancelled": "Meeting cancelled",
    "started": "Link expired",
    "time_taken": "Time taken",
    "not_offered": "Time not available",
}
TIMES_PER_PAGE = 9


@cache
def _roster(config_dir: Path):
    return load_roster(config_dir / "roster.yml")


def _page(name: str, status: int = 200, **values) -> HTTPResponse:
    return html(_templates.get_template(name).render(**values), status=status)


def _message(status: int, title: str, message: str) -> HTTPResponse:
    return _page("message.html", status, title=title, message=message)


def _refused(refused: VisitorLinkRefused) -> HTTPResponse:
    return _message(
        _STATUS.get(refused.code, 400), _TITLES.get(refused.code, "Not possible"), str(refused).capitalize() + "."
    )


def _unavailable() -> HTTPResponse:
    return _message(503, "Not available just now", "Please try the link again in a few minutes.")


def _refusals_answered(handler: Callable[[Request, int], Awaitable[HTTPResponse]]):
    """A refused link gets the page that says why; a database that is away, a 503 page."""

    @functools.wraps(handler)
    async def answered(request: Request, meeting_id: int) -> HTTPResponse:
        try:
            return await handler(request, meeting_id)
        except VisitorLinkRefused as refused:
            return _refused(refused)
        except SQLAlchemyError:
            return _unavailable()

    return answered


def _csrf(request: Request, meeting_id: int, token: str) -> str:
    # Bound to the meeting and its link; HMAC-signed with the app's key like the console's.
    return csrf_token(secret_key(request.app.ctx.settings), f"visitor-meeting:{meeting_id}:{token}")


def _link(meeting_id: int, verb: str, token: str, **more: str) -> str:
    return f"/meetings/visitor/{meeting_id}/{verb}?{urlencode({'token': token, **more})}"


def _form(request: Request, meeting_id: int) -> tuple[str, dict] | HTTPResponse:
    """The POST's link token and fields, or the refusal of a forged or cross-site post."""
    settings = request.app.ctx.settings
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin, (settings.public_base_url, *settings.allowed_origins)):
        return _message(403, "Not sent", "This form can only be sent from our own site.")
    form = {key: request.form.get(key) for key in request.form} if request.form else {}
    token, csrf = form.get("token"), form.get("csrf_token")
    if not isinstance(token, str) or not token:
        return _message(400, "Not sent", "The form has no link token; open the link from your email again.")
    # Both are ASCII when genuine; anything else could not be hashed or compared, only refused.
    if not token.isascii() or not isinstance(csrf, str) or not csrf.isascii():
        return _message(403, "Not sent", "This form is out of date; open the link from your email again.")
    if not csrf_ok(secret_key(settings), f"visitor-meeting:{meeting_id}:{token}", csrf):
        return _message(403, "Not sent", "This form is out of date; open the link from your email again.")
    return token, form


@visitor_meetings.get("/<meeting_id:int>/cancel")
@_refusals_answered
async def cancel_page(request: Request, meeting_id: int) -> HTTPResponse:
    settings, token = request.app.ctx.settings, request.args.get("token") or ""
    meeting = await asyncio.to_thread(
        visitor_meeting,
        request.app.ctx.store,
        _roster(settings.config_dir),
        secret_key(settings),
        meeting_id,
        token,
        utcnow(),
    )
    return _page(
        "visitor_cancel.html",
        title="Cancel your meeting",
        meeting=meeting,
        token=token,
        csrf=_csrf(request, meeting_id, token),
        reschedule_url=_link(meeting_id, "reschedule", token),
    )


@visitor_meetings.post("/<meeting_id:int>/cancel")
@_refusals_answered
async def cancel(request: Request, meeting_id: int) -> HTTPResponse:
    posted = _form(request, meeting_id)
    if isinstance(posted, HTTPResponse):
        return posted
    token, _ = posted
    settings = request.app.ctx.settings
    meeting = await asyncio.to_thread(
        cancel_meeting_by_visitor,
        request.app.ctx.store,
        _roster(settings.config_dir),
        Notifications.from_env(),
        secret_key(settings),
        meeting_id,
        token,
        utcnow(),
    )
    return _message(
        200,
        "Meeting cancelled",
        f"Your meeting with {meeting.rep_name} on {meeting.when} is cancelled. We've emailed you a confirmation.",
    )


@visitor_meetings.get("/<meeting_id:int>/reschedule")
@_refusals_answered
async def reschedule_page(request: Request, meeting_id: int) -> HTTPResponse:
    settings, token = request.app.ctx.settings, request.args.get("token") or ""
    roster, store, now = _roster(settings.config_dir), request.app.ctx.store, utcnow()
    try:
        after = parse_time_payload(request.args.get("after")) if request.args.get("after") else None
    except ValueError:
        after = None  # a mangled "later times" link shows the soonest times
    meeting = await asyncio.to_thread(visitor_meeting, store, roster, secret_key(settings), meeting_id, token, now)
    times: list[MeetingTime] = await asyncio.to_thread(
        reschedule_times, store, roster, meeting, now, TIMES_PER_PAGE, after
    )
    shown = [{"payload": time.payload, "label": format_meeting_time(time, meeting.zone)} for time in times]
    later = _link(meeting_id, "reschedule", token, after=times[-1].payload) if len(times) == TIMES_PER_PAGE else None
    return _page(
        "visitor_reschedule.html",
        title="Choose another time",
        meeting=meeting,
        times=shown,
        token=token,
        csrf=_csrf(request, meeting_id, token),
        later_url=later,
        cancel_url=_link(meeting_id, "cancel", token),
    )


@visitor_meetings.post("/<meeting_id:int>/reschedule")
@_refusals_answered
async def reschedule(request: Request, meeting_id: int) -> HTTPResponse:
    posted = _form(request, meeting_id)
    if isinstance(posted, HTTPResponse):
        return posted
    token, form = posted
    try:
        start = parse_time_payload(form.get("start"))
    except ValueError:
        return _message(400, "Not sent", "Please choose one of the times on the page.")
    settings = request.app.ctx.settings
    meeting = await asyncio.to_thread(
        move_meeting_by_visitor,
        request.app.ctx.store,
        _roster(settings.config_dir),
        Notifications.from_env(),
        secret_key(settings),
        meeting_id,
        token,
        start,
        utcnow(),
    )
    return _message(
        200,
        "Meeting moved",
        f"Your meeting with {meeting.rep_name} is now on {meeting.when} ({meeting.zone}). "
        "We've emailed you the updated invite.",
    )
