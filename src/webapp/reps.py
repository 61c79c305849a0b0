"""The rep's links: accept or reject a booked lead, the visitor's invite, the rep's calendar feed.

GET pages only show; the decision is a POST from the page's form (or a JSON client), so a
link preview or a mail scanner that follows links never accepts or rejects anything.

Nothing about a lead is shown without the link's valid token: the decision pages check the
token (sha256 against the meeting's stored hash) before reading the lead, refuse it once the
meeting is decided or `meetings.decision_link_days` after it, and answer a bare 403/404/409
page otherwise. Every response here is `no-store`, `nosniff`, framed by no one, and sends no
Referer (the token is in the URL).
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, json, text

from appconfig.settings import secret_key
from handoff import (
    DecisionRefused,
    Notifications,
    check_feed_token,
    check_invite_token,
    decide_meeting,
    feed_token_version,
    invite_for,
    invite_token_version,
    load_nurture,
    load_roster,
    meeting_summary,
    rep_feed,
)

from .limits import client_address, too_many_requests

reps = Blueprint("reps")
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_REFUSAL_STATUS = {
    "not_found": 404,
    "bad_token": 403,
    "expired": 403,
    "reason_required": 422,
    "already_decided": 409,
}
_CALENDAR = "text/calendar; charset=utf-8"
# The pages need only their own inline <style> and a form posting back here.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "style-src 'unsafe-inline'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    ),
}


async def rate_limit(request: Request) -> HTTPResponse | None:
    """Per client address (config/limits.yml), so tokens and meeting ids cannot be tried by the thousand."""
    wait = request.app.ctx.rate_limits.rep_links_per_ip.take(client_address(request))
    return too_many_requests(wait, "client address") if wait else None


async def security_headers(request: Request, response: HTTPResponse) -> None:
    """On every response, refusals and errors included: the links carry secrets."""
    response.headers.update(SECURITY_HEADERS)


def guard_token_links(blueprint: Blueprint) -> None:
    """The rate limit and security headers of pages opened by a secret link (rep links, the
    visitor's data-request links)."""
    blueprint.middleware("request")(rate_limit)
    blueprint.middleware("response")(security_headers)


guard_token_links(reps)


@cache
def _roster(config_dir: Path):
    return load_roster(config_dir / "roster.yml")


@cache
def _nurture(config_dir: Path):
    return load_nurture(config_dir / "nurture.yml")


def _page(name: str, status: int = 200, **values) -> HTTPResponse:
    return html(_templates.get_template(name).render(**values), status=status)


@reps.get("/meetings/<meeting_id:int>/<verb:accept|reject>")
async def decision_page(request: Request, meeting_id: int, verb: str) -> HTTPResponse:
    settings = request.app.ctx.settings
    token = request.args.get("token", "")
    try:
        summary = await asyncio.to_thread(
            meeting_summary, request.app.ctx.store, _roster(settings.config_dir), meeting_id, token
        )
    except DecisionRefused as refused:
        return _refusal_page(refused)
    return _page("decide.html", meeting=summary, verb=verb, token=token)


def _refusal_page(refused: DecisionRefused) -> HTTPResponse:
    """The refusal alone: which meeting it was and whose lead is never part of it."""
    titles = {"not_found": "No such meeting", "already_decided": "Already decided", "expired": "Link expired"}
    return _page(
        "message.html",
        _REFUSAL_STATUS.get(refused.code, 400),
        title=titles.get(refused.code, "Link not valid"),
        message=str(refused).capitalize() + ".",
    )


@reps.post("/meetings/<meeting_id:int>/decision")
async def decide(request: Request, meeting_id: int) -> HTTPResponse:
    wants_json = "application/json" in (request.headers.get("content-type") or "")
    body = request.json if wants_json else {key: request.form.get(key) for key in request.form}
    form = body if isinstance(body, dict) else {}  # null, an array, a number: refused below
    verb, token, reason = form.get("decision"), form.get("token") or "", form.get("reason")
    if verb not in ("accept", "reject") or not isinstance(token, str) or not isinstance(reason, str | None):
        problem = "decision must be accept or reject, with the token from the email (and a text reason)"
        return (
            json({"error": problem}, 400)
            if wants_json
            else _page("message.html", 400, title="Not sent", message=problem)
        )
    settings = request.app.ctx.settings
    try:
        decision = await asyncio.to_thread(
            decide_meeting,
            request.app.ctx.store,
            meeting_id,
            token,
            verb == "accept",
            reason,
            _roster(settings.config_dir),
            None,
            Notifications.from_env(),
            _nurture(settings.config_dir),
        )
    except DecisionRefused as refused:
        status = _REFUSAL_STATUS.get(refused.code, 400)
        if wants_json:
            return json({"error": str(refused), "code": refused.code}, status)
        return _page("message.html", status, title="Not saved", message=str(refused))
    if wants_json:
        return json(
            {"meeting_id": decision.meeting_id, "status": decision.status, "nurture_track": decision.nurture_track}
        )
    note = f" The lead goes to the “{decision.nurture_track}” nurture track." if decision.nurture_track else ""
    return _page("message.html", title=f"Meeting {decision.status}", message=f"Thanks, saved.{note}")


@reps.get("/meetings/<meeting_id:int>/invite.ics")
async def visitor_invite(request: Request, meeting_id: int) -> HTTPResponse:
    settings = request.app.ctx.settings
    version = await asyncio.to_thread(invite_token_version, request.app.ctx.store, meeting_id)
    if not check_invite_token(secret_key(settings), meeting_id, request.args.get("token"), version or 0):
        return text("This invite link is not valid.", status=403)
    try:
        ics = await asyncio.to_thread(
            invite_for, request.app.ctx.store, _roster(settings.config_dir), meeting_id, "PUBLISH"
        )
    except ValueError:
        return text("No such meeting.", status=404)
    return text(ics, content_type=_CALENDAR, headers={"Content-Disposition": 'attachment; filename="meeting.ics"'})


@reps.get("/reps/<rep_id>/meetings.ics")
async def rep_calendar(request: Request, rep_id: str) -> HTTPResponse:
    settings = request.app.ctx.settings
    roster = _roster(settings.config_dir)
    if rep_id not in roster.reps:
        return text("This calendar link is not valid.", status=403)
    version = await asyncio.to_thread(feed_token_version, request.app.ctx.store, rep_id)
    if not check_feed_token(secret_key(settings), rep_id, request.args.get("token"), version):
        return text("This calendar link is not valid.", status=403)
    feed = await asyncio.to_thread(rep_feed, request.app.ctx.store, roster, rep_id)
    return text(feed, content_type=_CALENDAR)
