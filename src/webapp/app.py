"""The Sanic app factory. Each feature is a blueprint registered here."""

from __future__ import annotations

import asyncio
import warnings
from urllib.parse import unquote

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from appconfig.settings import PROJECT_ROOT, Settings, load_settings, secret_key
from leaddb import LeadStore

from .console.views import console
from .data_requests import data_requests
from .limits import RateLimiters, load_limits
from .reps import reps
from .site import site
from .tracking import TrackingLimits, tracking
from .visitor_meetings import visitor_meetings

STATIC_DIR = PROJECT_ROOT / "web" / "static"


def create_app(settings: Settings | None = None, store: LeadStore | None = None) -> Sanic:
    """Build the app. Without arguments it reads the environment and opens (and creates) the
    lead database at DATABASE_URL."""
    settings = settings or load_settings()
    # register=False lets one process build several apps (tests do). Sanic warns that 22.6
    # drops the option; Rasa 3.6 pins Sanic 21.12, so the warning does not apply here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = Sanic("leadqual", register=False)
    # Errors Sanic raises itself (404, 405, bad requests) answer in JSON, without tracebacks.
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    app.ctx.store = store or LeadStore.from_url(settings.database_url)
    app.ctx.tracking_limits = TrackingLimits.from_settings(settings)
    # Signs the visitor id cookie (webapp.visitors); the chat channels check it with the same key.
    app.ctx.visitor_key = secret_key(settings)
    # In memory, or in Redis in the production profile (see webapp.limits); a bad limits.yml
    # stops start-up (ConfigError).
    app.ctx.rate_limits = RateLimiters.from_config(load_limits(settings.config_dir / "limits.yml"), settings)

    app.blueprint(tracking)
    app.blueprint(reps)
    app.blueprint(site)
    app.blueprint(console)
    app.blueprint(data_requests)
    app.blueprint(visitor_meetings)
    app.static("/static", str(STATIC_DIR), name="static")
    app.add_route(healthz, "/healthz", methods=["GET"])
    app.register_middleware(refuse_nul_in_path, "request")
    app.register_middleware(refuse_ids_out_of_range, "request")
    # Sanic's file handlers open a directory (`/static/`, `/assets/`) as a file and fail.
    app.error_handler.add(IsADirectoryError, lambda request, error: json({"error": "not found"}, status=404))
    return app


async def refuse_nul_in_path(request: Request) -> HTTPResponse | None:
    """`/static/tracker.js%00.png`: no file name has a NUL, and `open` raises on one."""
    if "\x00" in unquote(request.path):
        return json({"error": "bad path", "errors": [{"field": "path", "problem": "contains a NUL character"}]}, 400)
    return None


# The largest id a database integer column holds (SQLite and PostgreSQL bigint); the router's
# `<id:int>` takes any number of digits, and the database driver raises OverflowError beyond.
_MAX_ID = 2**63 - 1


async def refuse_ids_out_of_range(request: Request) -> HTTPResponse | None:
    """`/meetings/9223372036854775808/invite.ics`: no row has that id, so 404, not a 500."""
    if any(isinstance(value, int) and abs(value) > _MAX_ID for value in request.match_info.values()):
        return json({"error": "not found"}, status=404)
    return None


async def healthz(request: Request) -> HTTPResponse:
    """200 when the database answers; what deploy checks and the test fixture wait for."""
    try:
        await asyncio.to_thread(_ping, request.app.ctx.store)
    except SQLAlchemyError:
        return json({"status": "database unavailable"}, status=503)
    return json({"status": "ok"})


def _ping(store: LeadStore) -> None:
    with store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
