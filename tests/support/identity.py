"""Visitor proofs for tests and benches: the one place that mints them.

The chat channels accept a sender only with the proof the web app would have issued for it
(appconfig.visitor_proof); a test talking to Rasa directly mints it from the stack's
LEADQUAL_SECRET_KEY (or, in development, the key generated under its LEADQUAL_VAR_DIR)."""

from __future__ import annotations

from collections.abc import Mapping

from appconfig.settings import secret_key, settings_from
from appconfig.visitor_proof import COOKIE_NAME, issue


def visitor_proof(sender: str, env: Mapping[str, str] | str) -> str:
    """The `lq_vid` value for `sender`, signed with the key of the stack `env` describes (or
    with `env` itself when it is the key, e.g. RunningWebapp.secret_key)."""
    key = env if isinstance(env, str) else secret_key(settings_from(env))
    return issue(key, sender).value


def proof_headers(sender: str, env: Mapping[str, str] | str) -> dict[str, str]:
    """Headers for a REST channel message from `sender`."""
    return {"X-Visitor-Proof": visitor_proof(sender, env)}


def proof_cookie(visitor_id: str, env: Mapping[str, str] | str) -> dict[str, str]:
    """The Cookie header of a browser the site gave `visitor_id` (for /track)."""
    return {"Cookie": f"{COOKIE_NAME}={visitor_proof(visitor_id, env)}"}
