"""Routes of the console (server-rendered pages) and of its JSON API.

- `GET|POST /console/login`, `POST /console/logout`
- `GET /console`: the funnel (managers, marketers, admins), numbers in a table and a chart
- `GET /console/model`: the predictive model's card (marketers, admins)
- `GET /console/nlu-report`: the latest `make nlu-report` page (marketers, admins)
- `GET /console/experiments`: the dialogue experiments' figures and verdicts (managers, marketers, admins)
- `GET /console/leads?q=&stage=`, `GET /console/leads/<id>`: a rep sees only their own leads
- `POST /console/meetings/<id>/decision` (form: accept | reject with a reason | reassign to a rep,
  managers and admins only) and `POST /console/person-requests/<id>/answered`: a rep acts on
  their own meetings and requests only; CSRF-protected like every console form
- `GET /api/console/funnel?from=YYYY-MM-DD&to=YYYY-MM-DD&by=week|rep|source|landing`,
  `GET /api/console/speed-to-lead?from=&to=&sla_minutes=5`, `GET /api/console/experiments`,
  `GET /api/console/leads/<id>`,
  `POST /api/console/meetings/<id>/decision` (JSON `{"action", "reason", "to_rep"}`):
  a console session (and, to change anything, its CSRF token in `X-CSRF-Token`) or
  `Authorization: Bearer $CONSOLE_API_TOKEN`
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from dataclasses import asdict
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request
from sanic.exceptions import InvalidUsage
from sanic.response import HTTPResponse, file, html, json, redirect
from sqlalchemy import select

from appconfig.settings import PROJECT_ROOT, secret_key
from appconfig.yamlfile import ConfigError
from experiments import experiment_results, load_experiments
from handoff import (
    DecisionRefused,
    Notifications,
    answer_person_request,
    decide_meeting_as,
    eligible_reps,
    load_nurture,
    load_roster,
    reassign_meeting,
)
from leaddb import utcnow
from leaddb.funnel import GROUPINGS, funnel, funnel_by
from leaddb.leads import STAGES, Lead
from leaddb.store import move_stage
from nlureport.render import HTML_NAME, report_dir
from scoring.predictive import ModelFileError
from scoring.predictive.card import read_card
from scoring.qualification import load_qualification_rules

from .auth import LoginLimiter, Session, csrf_ok, csrf_token, make_session, read_session
from .data import lead_detail, lead_owner, list_leads, meeting_owner, request_owner
from .speed import DEFAULT_SLA_MINUTES, speed_to_lead
from .users import SEES_ALL_LEADS, SEES_REPORTS, ConsoleUser, authenticate, load_users

console = Blueprint("console")
CHART_JS = PROJECT_ROOT / "web" / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
SESSION_COOKIE, LOGIN_CSRF_COOKIE = "console_session", "console_login_csrf"
# MQL→SQL rates the product's users quote: about 13% on average, 20–30% for top performers.
BENCHMARKS = {"industry_average": 0.13, "top_performers_low": 0.20, "top_performers_high": 0.30}
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)


class BadRequest(ValueError):
    pass


@console.before_server_start
async def _setup(app, _loop) -> None:
    app.ctx.console_limiter = LoginLimiter()


def _key(request: Request) -> str:
    return secret_key(request.app.ctx.settings)


def _render(name: str, status: int = 200, **context: Any) -> HTTPResponse:
    return html(_templates.get_template(name).render(**context), status=status)


def _cookie(response: HTTPResponse, name: str, value: str, max_age: int) -> None:
    response.cookies[name] = value
    response.cookies[name]["httponly"] = True
    response.cookies[name]["samesite"] = "Lax"
    response.cookies[name]["path"] = "/"
    response.cookies[name]["max-age"] = max_age


def _current(request: Request) -> tuple[ConsoleUser, Session] | None:
    session = read_session(_key(request), request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    user = load_users(request.app.ctx.settings).get(session.username)
    return (user, session) if user else None


NOT_SIGNED_IN = "log in to the console or send Authorization: Bearer <CONSOLE_API_TOKEN>"


def _form_sender(request: Request) -> tuple[ConsoleUser, Session] | HTTPResponse:
    """The signed-in user of a console form POST whose CSRF token is good, or the answer to give
    instead (the login page, or "form expired")."""
    current = _current(request)
    if current is None:
        return redirect("/console/login", status=303)
    if not csrf_ok(_key(request), current[1].nonce, request.form.get("csrf_token")):
        return _render("message.html", 403, title="Form expired", message="Reload the page and try again.")
    return current


def _viewer(request: Request, roles: set[str], refusal: str) -> tuple[ConsoleUser, Session] | HTTPResponse:
    """The signed-in user of a page only `roles` see, or the answer to give instead (the login
    page, or a 403 saying who sees it)."""
    current = _current(request)
    if current is None:
        return redirect("/console/login", status=303)
    user, session = current
    if user.role not in roles:
        return _render(
            "message.html", 403, title="Not available", message=refusal, **_page_context(request, user, session)
        )
    return current


def _has_api_token(request: Request) -> bool:
    """Whether the request carries `Authorization: Bearer $CONSOLE_API_TOKEN`. Compared as bytes:
    compare_digest refuses non-ASCII str, and Sanic hands non-UTF-8 header bytes over as surrogates."""
    token = request.app.ctx.settings.console_api_token
    header = request.headers.get("authorization", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode("utf-8", "surrogateescape"), token.encode())


def _api_user(request: Request) -> ConsoleUser | None:
    """A Bearer token acts as an admin (it is the operator's); otherwise the session's user."""
    if _has_api_token(request):
        return ConsoleUser(username="api-token", role="admin")
    current = _current(request)
    return current[0] if current else None


def _report_refusal(request: Request, report: str) -> HTTPResponse | None:
    """The 401 or 403 for a report's API, or None when the caller may read it."""
    user = _api_user(request)
    if user is None:
        return json({"error": NOT_SIGNED_IN}, status=401)
    if user.role not in SEES_REPORTS:
        return json({"error": f"your role cannot see {report}"}, status=403)
    return None


# -- login ---------------------------------------------------------------------------------------


@console.get("/console/login")
async def login_page(request: Request) -> HTTPResponse:
    return _login_form()


def _login_form(error: str = "", status: int = 200, username: str = "") -> HTTPResponse:
    nonce = secrets.token_urlsafe(16)
    response = _render("login.html", status, title="Log in", error=error, csrf=nonce, username=username)
    _cookie(response, LOGIN_CSRF_COOKIE, nonce, 3600)
    return response


@console.post("/console/login")
async def login(request: Request) -> HTTPResponse:
    form = request.form
    username, password = form.get("username", "").strip(), form.get("password", "")
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not hmac.compare_digest(cookie, form.get("csrf_token", "")):
        return _render("message.html", 403, title="Form expired", message="Reload the login page and try again.")
    limiter: LoginLimiter = request.app.ctx.console_limiter
    address = request.remote_addr or request.ip
    wait = limiter.retry_after(address, username)
    if wait is not None:
        response = _login_form(f"Too many failed attempts. Try again in {wait // 60 + 1} minutes.", 429, username)
        response.headers["Retry-After"] = str(wait)
        return response
    users = load_users(request.app.ctx.settings)
    user = await asyncio.to_thread(authenticate, users, username, password)
    if user is None:
        limiter.failed(address, username)
        return _login_form("Wrong username or password.", 401, username)
    response = redirect("/console" if user.role in SEES_REPORTS else "/console/leads", status=303)
    _cookie(response, SESSION_COOKIE, make_session(_key(request), user.username), 8 * 3600)
    return response


@console.post("/console/logout")
async def logout(request: Request) -> HTTPResponse:
    current = _current(request)
    if current and not csrf_ok(_key(request), current[1].nonce, request.form.get("csrf_token")):
        return _render("message.html", 403, title="Form expired", message="Reload the page and try again.")
    response = redirect("/console/login", status=303)
    _cookie(response, SESSION_COOKIE, "", 0)
    return response


# -- pages ---------------------------------------------------------------------------------------


def _page_context(request: Request, user: ConsoleUser, session: Session) -> dict[str, Any]:
    return {"user": user, "csrf": csrf_token(_key(request), session.nonce), "sees_reports": user.role in SEES_REPORTS}


@console.get("/console")
async def funnel_page(request: Request) -> HTTPResponse:
    current = _current(request)
    if current is None:
        return redirect("/console/login", status=303)
    user, session = current
    if user.role not in SEES_REPORTS:
        return redirect("/console/leads", status=303)
    try:
        since, until, by = _funnel_params(request)
    except BadRequest as error:
        return _render("message.html", 400, title="Bad filter", message=str(error))
    data = await asyncio.to_thread(_funnel_data, request, since, until, by)
    speed = await asyncio.to_thread(speed_to_lead, request.app.ctx.store, utcnow(), since, until)
    return _render("funnel.html", title="Funnel", data=data, speed=speed, **_page_context(request, user, session))


@console.get("/console/vendor/chart.js")
async def chart_js(request: Request) -> HTTPResponse:
    if not CHART_JS.exists():
        return json({"error": "chart.js is not installed; run `npm ci --prefix web`"}, status=503)
    return await file(str(CHART_JS), mime_type="text/javascript")


@console.get("/console/leads")
async def leads_page(request: Request) -> HTTPResponse:
    current = _current(request)
    if current is None:
        return redirect("/console/login", status=303)
    user, session = current
    query, stage = request.args.get("q", "").strip(), request.args.get("stage", "")
    if stage and stage not in STAGES:
        return _render("message.html", 400, title="Bad filter", message=f"stage must be one of {', '.join(STAGES)}")
    rep = None if user.role in SEES_ALL_LEADS else user.rep_id or ""
    leads = await asyncio.to_thread(list_leads, request.app.ctx.store, rep, query, stage)
    return _render(
        "leads.html",
        title="Leads",
        leads=leads,
        q=query,
        stage=stage,
        stages=STAGES,
        **_page_context(request, user, session),
    )


@console.get("/console/leads/<lead_id:int>")
async def lead_page(request: Request, lead_id: int) -> HTTPResponse:
    current = _current(request)
    if current is None:
        return redirect("/console/login", status=303)
    user, session = current
    refusal = await _refuse_lead(request, user, lead_id)
    if refusal:
        status, message = refusal
        return _render("message.html", status, title="Not available", message=message)
    lead = await asyncio.to_thread(lead_detail, request.app.ctx.store, lead_id)
    roster = _roster(request.app.ctx.settings.config_dir)
    choices = {}
    if lead is not None and user.role in SEES_ALL_LEADS:  # who each booked meeting could go to
        for meeting in lead["meetings"]:
            if meeting["status"] == "booked":
                reps = await asyncio.to_thread(eligible_reps, request.app.ctx.store, roster, meeting["id"])
                choices[meeting["id"]] = [(rep.id, rep.name) for rep in reps]
    return _render(
        "lead.html",
        title=f"Lead {lead_id}",
        lead=lead,
        reassign_to=choices,
        acts_on_all=user.role in SEES_ALL_LEADS,
        **_page_context(request, user, session),
    )


async def _refuse_lead(request: Request, user: ConsoleUser, lead_id: int) -> tuple[int, str] | None:
    exists, owner = await asyncio.to_thread(lead_owner, request.app.ctx.store, lead_id)
    # Another rep's lead answers like a missing one, so ids cannot be probed.
    if not exists or (user.role not in SEES_ALL_LEADS and (not user.rep_id or owner != user.rep_id)):
        if exists and user.role in SEES_REPORTS:
            return 403, "Your role sees the reports, not individual leads."
        return 404, "No such lead among yours."
    return None


# -- acting on a lead's meeting and person requests ----------------------------------------------

# What a refusal of the handoff library answers over HTTP.
_REFUSAL_STATUS = {
    "not_found": 404,
    "reason_required": 422,
    "already_decided": 409,
    "not_booked": 409,
    "not_eligible": 409,
}
MEETING_ACTIONS = ("accept", "reject", "reassign")


@cache
def _roster(config_dir: Path):
    return load_roster(config_dir / "roster.yml")


@cache
def _nurture(config_dir: Path):
    return load_nurture(config_dir / "nurture.yml")


async def _act_on_meeting(
    request: Request, user: ConsoleUser, meeting_id: int, form: dict[str, Any]
) -> tuple[int, str, int | None]:
    """(HTTP status, what happened or why not, the meeting's lead id) for one console action.

    Refusals by role come first: a marketer acts on nothing, a rep only on their own meeting
    (another rep's answers like a missing one) and never reassigns; the library checks the
    rep again in its own transaction, so a meeting reassigned meanwhile is refused too."""
    action, reason, to_rep = form.get("action"), form.get("reason"), form.get("to_rep")
    if action not in MEETING_ACTIONS or not isinstance(reason, str | None) or not isinstance(to_rep, str | None):
        return (
            400,
            f"action must be one of {', '.join(MEETING_ACTIONS)} (with a text reason, and to_rep to reassign)",
            None,
        )
    if user.role not in SEES_ALL_LEADS and user.role != "sales_rep":
        return 403, "your role cannot act on meetings", None
    store = request.app.ctx.store
    found = await asyncio.to_thread(meeting_owner, store, meeting_id)
    only_rep = None if user.role in SEES_ALL_LEADS else user.rep_id or ""
    if found is None or (only_rep is not None and found[1] != only_rep):
        return 404, "No such meeting among yours.", None
    lead_id = found[0]
    if action == "reassign" and user.role not in SEES_ALL_LEADS:
        return 403, "only a sales manager or an admin can reassign a meeting", lead_id
    settings = request.app.ctx.settings
    roster, notifications = _roster(settings.config_dir), Notifications.from_env()
    try:
        if action == "reassign":
            if not to_rep:
                return 400, "choose the rep to reassign the meeting to", lead_id
            done = await asyncio.to_thread(
                reassign_meeting, store, meeting_id, to_rep, user.username, reason, roster, None, notifications
            )
            return 200, f"Meeting reassigned from {done.from_rep} to {done.to_rep}.", lead_id
        decision = await asyncio.to_thread(
            decide_meeting_as,
            store,
            meeting_id,
            user.username,
            action == "accept",
            reason,
            roster,
            None,
            notifications,
            _nurture(settings.config_dir),
            only_rep,
        )
    except DecisionRefused as refused:
        return _REFUSAL_STATUS.get(refused.code, 400), str(refused).capitalize() + ".", lead_id
    except ValueError as error:  # the meeting's rep has left roster.yml since the booking
        return 409, f"{error}: reassign the meeting to a rep on the roster", lead_id
    track = f" The lead goes to the “{decision.nurture_track}” nurture track." if decision.nurture_track else ""
    return 200, f"Meeting {decision.status}.{track}", lead_id


@console.post("/console/meetings/<meeting_id:int>/decision")
async def meeting_decision(request: Request, meeting_id: int) -> HTTPResponse:
    signed_in = _form_sender(request)
    if isinstance(signed_in, HTTPResponse):
        return signed_in
    user, session = signed_in
    form = {key: request.form.get(key) for key in ("action", "reason", "to_rep")}
    status, message, lead_id = await _act_on_meeting(request, user, meeting_id, form)
    if status == 200:
        return redirect(f"/console/leads/{lead_id}", status=303)
    return _render("message.html", status, title="Not saved", message=message, **_page_context(request, user, session))


@console.post("/api/console/meetings/<meeting_id:int>/decision")
async def meeting_decision_api(request: Request, meeting_id: int) -> HTTPResponse:
    user = _api_user(request)
    if user is None:
        return json({"error": NOT_SIGNED_IN}, status=401)
    if not _has_api_token(request):
        current = _current(request)  # a session: the cookie alone could be another site's form
        if current is None or not csrf_ok(_key(request), current[1].nonce, request.headers.get("x-csrf-token")):
            return json({"error": "send the console's CSRF token in X-CSRF-Token"}, status=403)
    try:
        body = request.json
    except InvalidUsage:
        body = None
    if not isinstance(body, dict):
        return json({"error": "the body must be a JSON object with action (and reason, to_rep)"}, status=400)
    status, message, _ = await _act_on_meeting(request, user, meeting_id, body)
    return json({"meeting_id": meeting_id, "result": message} if status == 200 else {"error": message}, status=status)


@console.post("/console/person-requests/<request_id:int>/answered")
async def request_answered(request: Request, request_id: int) -> HTTPResponse:
    signed_in = _form_sender(request)
    if isinstance(signed_in, HTTPResponse):
        return signed_in
    user, session = signed_in
    store = request.app.ctx.store
    found = await asyncio.to_thread(request_owner, store, request_id)
    lead_id = found[0] if found else None
    refusal = await _refuse_lead(request, user, lead_id) if lead_id is not None else (404, "No such request.")
    if refusal:
        return _render("message.html", refusal[0], title="Not available", message=refusal[1])
    await asyncio.to_thread(answer_person_request, store, request_id, user.username)
    return redirect(f"/console/leads/{lead_id}", status=303)


# Stages the CRM reports back, or a person marks by hand: what happens after the meeting.
CRM_STAGES = ("opportunity", "won")


@console.post("/console/leads/<lead_id:int>/stage")
async def mark_stage(request: Request, lead_id: int) -> HTTPResponse:
    signed_in = _form_sender(request)
    if isinstance(signed_in, HTTPResponse):
        return signed_in
    user, session = signed_in
    refusal = await _refuse_lead(request, user, lead_id)
    if refusal:
        return _render("message.html", refusal[0], title="Not available", message=refusal[1])
    stage = request.form.get("stage", "")
    if stage not in CRM_STAGES:
        return _render("message.html", 400, title="Bad stage", message=f"stage must be one of {', '.join(CRM_STAGES)}")
    await asyncio.to_thread(_move, request, lead_id, stage, f"marked by {user.username} in the console")
    return redirect(f"/console/leads/{lead_id}", status=303)


@console.post("/api/console/crm/stage")
async def crm_stage(request: Request) -> HTTPResponse:
    """The CRM's callback: `{"visitor_id": "...", "stage": "opportunity"|"won", "reason": "..."}`
    with `Authorization: Bearer $CONSOLE_API_TOKEN` (a session is not enough: this is a machine)."""
    if not _has_api_token(request):
        return json({"error": "send Authorization: Bearer <CONSOLE_API_TOKEN>"}, status=401)
    try:
        body = request.json
    except InvalidUsage:  # a body that is not JSON
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("visitor_id"), str):
        return json({"error": "the body must be a JSON object with visitor_id and stage"}, status=400)
    if body.get("stage") not in CRM_STAGES:
        return json({"error": f"stage must be one of {', '.join(CRM_STAGES)}"}, status=400)
    reason = str(body.get("reason") or "reported by the CRM")
    moved = await asyncio.to_thread(_move_visitor, request, body["visitor_id"], body["stage"], reason)
    if not moved:
        return json({"error": f"no lead with visitor_id {body['visitor_id']!r}"}, status=404)
    return json({"visitor_id": body["visitor_id"], "stage": body["stage"]})


def _move(request: Request, lead_id: int, stage: str, reason: str) -> None:
    with request.app.ctx.store.session() as session:
        move_stage(session, session.get(Lead, lead_id), stage, reason)


def _move_visitor(request: Request, visitor_id: str, stage: str, reason: str) -> bool:
    with request.app.ctx.store.session() as session:
        lead = session.scalars(select(Lead).where(Lead.visitor_id == visitor_id)).first()
        if lead is None:
            return False
        move_stage(session, lead, stage, reason)
        return True


# -- JSON API ------------------------------------------------------------------------------------


@console.get("/api/console/funnel")
async def funnel_api(request: Request) -> HTTPResponse:
    refusal = _report_refusal(request, "the funnel")
    if refusal:
        return refusal
    try:
        since, until, by = _funnel_params(request)
    except BadRequest as error:
        return json({"error": str(error)}, status=400)
    return json(await asyncio.to_thread(_funnel_data, request, since, until, by))


@console.get("/api/console/speed-to-lead")
async def speed_api(request: Request) -> HTTPResponse:
    refusal = _report_refusal(request, "speed to lead")
    if refusal:
        return refusal
    try:
        since, until, _ = _funnel_params(request)
        raw = request.args.get("sla_minutes", str(DEFAULT_SLA_MINUTES))
        if not raw.isdigit() or int(raw) < 1:
            raise BadRequest(f"sla_minutes must be a whole number of minutes, at least 1, got {raw!r}")
    except BadRequest as error:
        return json({"error": str(error)}, status=400)
    store = request.app.ctx.store
    return json(await asyncio.to_thread(speed_to_lead, store, utcnow(), since, until, int(raw)))


@console.get("/api/console/leads/<lead_id:int>")
async def lead_api(request: Request, lead_id: int) -> HTTPResponse:
    user = _api_user(request)
    if user is None:
        return json({"error": NOT_SIGNED_IN}, status=401)
    refusal = await _refuse_lead(request, user, lead_id)
    if refusal:
        return json({"error": refusal[1]}, status=refusal[0])
    return json(await asyncio.to_thread(lead_detail, request.app.ctx.store, lead_id))


def _funnel_params(request: Request) -> tuple[datetime | None, datetime | None, str | None]:
    """`from` and `to` are days, both included; `by` groups."""
    days = {}
    for name in ("from", "to"):
        value = request.args.get(name)
        if value:
            try:
                days[name] = date.fromisoformat(value)
            except ValueError:
                raise BadRequest(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from None
    if "from" in days and "to" in days and days["from"] > days["to"]:
        raise BadRequest("from must not be after to")
    by = request.args.get("by") or None
    if by is not None and by not in GROUPINGS:
        raise BadRequest(f"by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    since = datetime.combine(days["from"], time(), timezone.utc) if "from" in days else None
    until = datetime.combine(days["to"] + timedelta(days=1), time(), timezone.utc) if "to" in days else None
    return since, until, by


def _funnel_data(request: Request, since: datetime | None, until: datetime | None, by: str | None) -> dict:
    store = request.app.ctx.store
    data: dict[str, Any] = {
        "from": since.date().isoformat() if since else None,
        "to": (until - timedelta(days=1)).date().isoformat() if until else None,
        "steps": [asdict(step) for step in funnel(store, since, until)],
        "benchmarks": {"mql_to_sql": BENCHMARKS},
    }
    if by:
        data["by"] = by
        data["groups"] = {
            group: [asdict(step) for step in steps] for group, steps in funnel_by(store, by, since, until).items()
        }
    return data


# -- the predictive model -----------------------------------------------------------------------

# Who sees the predictive model's card (base.html's nav link checks the same roles).
SEES_MODEL = {"marketer", "admin"}


@console.get("/console/model")
async def model_page(request: Request) -> HTTPResponse:
    """The model card of the model named in config/scoring.yml (`model.path`)."""
    viewer = _viewer(request, SEES_MODEL, "Marketers and admins see the model card.")
    if isinstance(viewer, HTTPResponse):
        return viewer
    user, session = viewer
    try:
        rules = load_qualification_rules(request.app.ctx.settings.config_dir / "scoring.yml")
        card = read_card(rules.model.path) if rules.model else None
    except (ConfigError, ModelFileError) as error:
        return _render(
            "message.html", 500, title="Model card", message=str(error), **_page_context(request, user, session)
        )
    return _render("model.html", title="Model card", card=card, **_page_context(request, user, session))


# -- the NLU report (`make nlu-report`) ----------------------------------------------------------

# Who sees the NLU report: the people who edit the training data (base.html's nav link checks the same).
SEES_NLU_REPORT = {"marketer", "admin"}


@console.get("/console/nlu-report")
async def nlu_report_page(request: Request) -> HTTPResponse:
    """The latest report as `make nlu-report` wrote it (a self-contained page, served as is)."""
    viewer = _viewer(request, SEES_NLU_REPORT, "Marketers and admins see the NLU report.")
    if isinstance(viewer, HTTPResponse):
        return viewer
    user, session = viewer
    report = report_dir(request.app.ctx.settings.nlu_report_dir) / HTML_NAME
    try:
        page = await asyncio.to_thread(report.read_text, encoding="utf-8")
    except FileNotFoundError:
        return _render(
            "message.html",
            404,
            title="No NLU report yet",
            message="No report has been written yet. Run `make nlu-report` in the project folder "
            "(`make nlu-report NLU_REPORT_ARGS=--no-conversations` takes about 8 minutes; the conversations add more), "
            "then reload this page.",
            **_page_context(request, user, session),
        )
    response = html(page)
    # The page quotes training data as typed: escaped, and nothing in it may run or load anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# -- dialogue experiments (config/experiments.yml) -------------------------------------------------


def _experiments_data(request: Request) -> dict[str, Any]:
    """Read the file on each request, so the page shows what the operator has just edited."""
    config = load_experiments(request.app.ctx.settings.config_dir / "experiments.yml")
    return {"experiments": [result.as_dict() for result in experiment_results(request.app.ctx.store, config)]}


@console.get("/console/experiments")
async def experiments_page(request: Request) -> HTTPResponse:
    viewer = _viewer(request, SEES_REPORTS, "Sales managers, marketers and admins see the experiments.")
    if isinstance(viewer, HTTPResponse):
        return viewer
    user, session = viewer
    try:
        data = await asyncio.to_thread(_experiments_data, request)
    except ConfigError as error:
        return _render(
            "message.html", 500, title="Experiments", message=str(error), **_page_context(request, user, session)
        )
    return _render("experiments.html", title="Experiments", **data, **_page_context(request, user, session))


@console.get("/api/console/experiments")
async def experiments_api(request: Request) -> HTTPResponse:
    refusal = _report_refusal(request, "the experiments")
    if refusal:
        return refusal
    try:
        return json(await asyncio.to_thread(_experiments_data, request))
    except ConfigError as error:
        return json({"error": str(error)}, status=500)
