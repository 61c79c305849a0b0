"""The demo website ("Beacon", a made-up B2B product) and what its chat widget asks for.

- `/`, `/product`, `/pricing`, `/resources`, `/webinar`: the pages, Jinja2 templates in
  web/site/templates/ on one layout (base.html), with the consent banner when
  config/privacy.yml's `tracking_waits_for_consent` is on (not shown to a browser sending
  DNT or GPC: it is not tracked anyway);
- `/assets/...`: their stylesheet, scripts and the downloadable report;
- `/vendor/rasa-webchat/index.js`: the chat widget, installed by `npm ci --prefix web`;
- `GET /api/chat/config`: where the widget finds Rasa's socket.io channel;
- `GET /api/visitor/<visitor_id>/opening`: whether the chat should open by itself for this
  visitor (scoring.behaviour's `high_intent`), and which opening line fits; only to that
  visitor (its signed lq_vid cookie), and never with the score or its reasons.

Pages get a Content-Security-Policy that lets the browser reach only this server and Rasa:
no inline script, so neither a `javascript:` link in a chat message nor injected markup can
run code, and no outside images, so a message cannot make the browser call another site.

The socket URL is CHAT_SOCKET_URL when set (e.g. `https://chat.example.com` behind a proxy);
otherwise the page's host name on RASA_PORT (what `python -m launcher start` runs), taken from
PUBLIC_BASE_URL or ALLOWED_ORIGINS, never from the request's Host header.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, file, html
from sanic.response import json as json_response
from sqlalchemy.exc import SQLAlchemyError

from appconfig.inputs import origin_key
from appconfig.settings import PROJECT_ROOT
from leaddb.base import utcnow
from leaddb.events import visitor_events
from scoring.behaviour import BehaviourRules, load_behaviour_rules, score_behaviour
from scoring.opening import opening_topic

from .privacy import objects_to_tracking, privacy_for
from .tracking import VISITOR_ID
from .visitors import cookie_proof, ensure_visitor, set_visitor_cookie

logger = logging.getLogger(__name__)

SITE_DIR = PROJECT_ROOT / "web" / "site"
WEBCHAT_DIR = PROJECT_ROOT / "web" / "node_modules" / "rasa-webchat"
WEBCHAT_BUNDLE = WEBCHAT_DIR / "lib" / "index.js"  # the standalone build: React and socket.io-client inside

# URL path -> template in web/site/templates/.
PAGES = {
    "/": "index.html",
    "/product": "product.html",
    "/pricing": "pricing.html",
    "/resources": "resources.html",
    "/webinar": "webinar.html",
}
# The whitespace options make template tags leave no blank lines or stray indents in the pages.
_templates = Environment(
    loader=FileSystemLoader(SITE_DIR / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

site = Blueprint("site")


@site.listener("before_server_start")
async def load_rules(app: Sanic, _loop) -> None:
    """Read config/behaviour.yml once; a broken file stops the server with file, key and problem."""
    app.ctx.behaviour_rules = load_behaviour_rules(app.ctx.settings.config_dir / "behaviour.yml")


# -- pages and files ---------------------------------------------------------------------------


async def page(request: Request) -> HTTPResponse:
    privacy = privacy_for(request.app.ctx.settings.config_dir)
    do_not_track = objects_to_tracking(request.headers, privacy)
    response = html(
        _templates.get_template(PAGES[request.path]).render(
            current_path=request.path,
            consent_required=privacy.tracking_waits_for_consent,
            # A browser that objects to tracking is not asked: it is not tracked either way.
            ask_consent=privacy.tracking_waits_for_consent and not do_not_track,
            do_not_track=do_not_track,
        )
    )
    response.headers["Content-Security-Policy"] = _content_security_policy(request)
    # private: the response may set this visitor's cookie, which no shared cache may hand on.
    response.headers["Cache-Control"] = "private, no-cache"
    # The page issues the visitor id, so tracker.js and chat.js, starting together, share one.
    proof, renewed = ensure_visitor(request)
    if renewed:
        set_visitor_cookie(response, request, proof)
    response.headers["Vary"] = "DNT, Sec-GPC"
    return response


for _path, _filename in PAGES.items():
    site.add_route(page, _path, methods=["GET", "HEAD"], name=f"page_{Path(_filename).stem}")

site.static("/assets", str(SITE_DIR / "assets"), name="site_assets")


@site.get("/vendor/rasa-webchat/index.js")
async def webchat_bundle(request: Request) -> HTTPResponse:
    if not WEBCHAT_BUNDLE.is_file():
        logger.error("%s is missing: run `npm ci --prefix web`", WEBCHAT_BUNDLE)
        return json_response({"error": "the chat widget is not installed; run `npm ci --prefix web`"}, status=503)
    return await file(WEBCHAT_BUNDLE, mime_type="text/javascript; charset=utf-8")


@site.middleware("response")
async def no_sniffing(request: Request, response: HTTPResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")


def chat_socket_url(request: Request) -> str:
    """CHAT_SOCKET_URL, or Rasa's port on the configured origin the page was loaded from
    (PUBLIC_BASE_URL's when the Host header names none): never a host the client made up,
    since this URL goes into the CSP and the widget's config."""
    settings = request.app.ctx.settings
    if settings.chat_socket_url:
        return settings.chat_socket_url
    configured = (settings.public_base_url, *settings.allowed_origins)
    requested = origin_key(f"{request.scheme}://{request.host}")
    page_origin = next((url for url in configured if origin_key(url) == requested), settings.public_base_url)
    page = urlsplit(page_origin)
    host = page.hostname or "127.0.0.1"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"{page.scheme or 'http'}://{host}:{settings.rasa_port}"


def _content_security_policy(request: Request) -> str:
    socket_url = urlsplit(chat_socket_url(request))
    websocket_scheme = "wss" if socket_url.scheme == "https" else "ws"
    rasa = f"{socket_url.scheme}://{socket_url.netloc} {websocket_scheme}://{socket_url.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # The widget injects its own <style> elements.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self' {rasa}",
            "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def _widget_version() -> str | None:
    try:
        return json.loads((WEBCHAT_DIR / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


# -- what the widget asks ----------------------------------------------------------------------


@site.get("/api/chat/config")
async def chat_config(request: Request) -> HTTPResponse:
    """`widget_version` lets chat.js write the widget's stored session in the format it expects.
    `visitor_id` and `visitor_proof` are this browser's (the HttpOnly cookie's, or fresh ones):
    the widget's session id, and what the chat channel asks to accept it. Only a same-origin
    page can read them (no CORS headers here)."""
    proof, renewed = ensure_visitor(request)
    response = json_response(
        {
            "socket_url": chat_socket_url(request),
            "socket_path": "/socket.io/",
            "widget_version": _widget_version(),
            "visitor_id": proof.visitor_id,
            "visitor_proof": proof.value,
        },
        headers={"Cache-Control": "no-store"},
    )
    return set_visitor_cookie(response, request, proof) if renewed else response


@site.get("/api/visitor/<visitor_id:str>/opening")
async def opening(request: Request, visitor_id: str) -> HTTPResponse:
    """`{"open": true, "opening": "pricing_again"}` (a scoring.opening topic) for a high-intent
    visitor who has not talked to the assistant yet, else `{"open": false}`. Answered only to
    that visitor: what someone did on the site, and how it scores, is nobody else's business."""
    if not VISITOR_ID.fullmatch(visitor_id):
        return json_response(
            {
                "error": "invalid visitor id",
                "errors": [{"field": "visitor_id", "problem": "must be 8-128 letters, digits, '-' or '_'"}],
            },
            status=422,
        )
    proof = cookie_proof(request)
    if proof is None or proof.visitor_id != visitor_id:
        return json_response(
            {
                "error": "visitor id not proven",
                "errors": [{"field": "visitor_id", "problem": "is not the id of this browser's lq_vid cookie"}],
            },
            status=403,
            headers={"Cache-Control": "no-store"},
        )
    try:
        decision = await asyncio.to_thread(decide_opening, request.app, visitor_id)
    except SQLAlchemyError:
        logger.exception("reading events of a visitor for the opening failed")
        decision = {"open": False}
    return json_response(decision, headers={"Cache-Control": "no-store"})


def decide_opening(app: Sanic, visitor_id: str) -> dict:
    store = app.ctx.store
    if store.get_lead(visitor_id) is not None:
        return {"open": False}
    rules: BehaviourRules = app.ctx.behaviour_rules
    now = utcnow()
    score = score_behaviour(rules, visitor_events(store.engine, visitor_id, since=rules.window_start(now)), now)
    if not score.high_intent:
        return {"open": False}
    return {"open": True, "opening": opening_topic(score.summary)}
