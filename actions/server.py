"""The action server: rasa_sdk's own app, on 127.0.0.1 by default and only for callers that hold
the shared secret.

`rasa run actions` (rasa-sdk 3.6) listens on every interface and asks nobody for anything, so
anyone who can reach port 5055 can run the booking actions with a tracker of their own making.
This runs the same app (`rasa_sdk.endpoint.create_app`) with one check in front: every request
except `GET /health` must carry `Authorization: Bearer <ACTION_SERVER_TOKEN>`, which Rasa sends
(endpoints.yml, `action_endpoint.headers`); anything else is a 401.

An action that raises answers a small 500 (`{"error", "action_name"}`) and logs one line: the
action's name, a hash of the sender id and the exception's type. rasa_sdk's own handler logs
the traceback and answers with the whole request (the tracker: name, email, transcript), which
Rasa then logs as well. Every log record at INFO and above is redacted (appconfig.logredact).

    python -m actions.server [--host 127.0.0.1] [--port 5055] [--actions PACKAGE]

Host, port and secret default to ACTION_SERVER_HOST, ACTION_SERVER_PORT and ACTION_SERVER_TOKEN
(development generates the secret in var/action_server_token; see .env.example).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import sys

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from appconfig.logredact import install_log_redaction
from appconfig.settings import SettingsError, action_server_token, load_settings

logger = logging.getLogger(__name__)

# Rasa's readiness probe and the launcher's health check: says only "ok".
OPEN_PATHS = frozenset({"/health"})
REFUSAL = {"error": "this action server only answers Rasa: send Authorization: Bearer <ACTION_SERVER_TOKEN>"}


def token_matches(authorization: str | None, token: str) -> bool:
    """`authorization` is `Bearer <token>`; compared as bytes in constant time, so any text
    (non-ASCII included) is a plain mismatch, never an error."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8", "replace"))


def create_protected_app(token: str, action_package: str = "actions") -> Sanic:
    if not token:
        raise ValueError("the action server needs a non-empty shared secret")
    # No CORS origins: browsers have no business here, only Rasa (server to server).
    app = create_app(action_package, cors_origins="")

    @app.exception(SanicException)
    async def http_error(request: Request, error: SanicException) -> HTTPResponse:
        # rasa_sdk's own handler turns every error, an unknown path too, into a 500 with a traceback.
        return response.json({"error": str(error)}, status=error.status_code)

    @app.exception(Exception)
    async def action_failed(request: Request, error: Exception) -> HTTPResponse:
        # Registered after rasa_sdk's handler for Exception, so it replaces it.
        action, sender = _who(request)
        logger.error("action %s failed for sender %s: %s", action, sender, type(error).__name__)
        return response.json({"error": "the action failed", "action_name": action}, status=500)

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or token_matches(request.headers.get("authorization"), token):
            return None
        return response.json(REFUSAL, status=401, headers={"WWW-Authenticate": 'Bearer realm="action server"'})

    return app


def sender_hash(sender_id: str) -> str:
    """Enough to find one conversation's lines in the logs, without the id itself."""
    return hashlib.sha256(sender_id.encode("utf-8", "replace")).hexdigest()[:12]


def _who(request: Request) -> tuple[str, str]:
    """(action name, sender hash) of a webhook call, for one log line; '?' for what is missing."""
    try:
        call = request.json
    except Exception:  # not JSON: nothing to name
        call = None
    call = call if isinstance(call, dict) else {}
    action, tracker = call.get("next_action"), call.get("tracker")
    sender = call.get("sender_id") or (tracker.get("sender_id") if isinstance(tracker, dict) else None)
    return (
        action[:100] if isinstance(action, str) else "?",
        sender_hash(sender) if isinstance(sender, str) else "?",
    )


def without_tensorflow() -> None:
    """Have spaCy load without TensorFlow in this process. thinc (spaCy's machine learning
    library) imports TensorFlow whenever it is installed, and Rasa installs it; the actions use
    only spaCy's tokenizer and rules, so that import cost every action server 6 s and about
    350 MB. A None in sys.modules makes `import tensorflow` fail, and thinc then takes its own
    path for a machine without it."""
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
        token = action_server_token(settings)
    except (SettingsError, RuntimeError) as error:
        for problem in str(error).splitlines():
            print(f"config error: {problem}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=settings.action_server_host, help="interface (default: %(default)s)")
    parser.add_argument("--port", type=int, default=settings.action_server_port, help="port (default: %(default)s)")
    parser.add_argument("--actions", default="actions", help="package of actions to serve (default: %(default)s)")
    args = parser.parse_args(argv)

    install_log_redaction()
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    logging.getLogger("actions.server").info("Action server on http://%s:%s (token required)", args.host, args.port)
    without_tensorflow()
    app = create_protected_app(token, args.actions)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
