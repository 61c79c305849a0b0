"""Rasa's REST channel (`/webhooks/rest/webhook`) with its body checked before Rasa sees it.

Stock Rasa 3.6.21 answers 500 to a body that is not a JSON object (`[1]`, `null`), turns a
missing sender into the shared conversation `default`, takes any string as a sender
(`../../x`, 5,000 characters, NUL) and stays silent on a message it cannot encode (a lone
surrogate). Here each of those is a 400 naming the field and the problem; a sender must be a
visitor id in the format the site issues (appconfig.inputs.VISITOR_ID).

Stock Rasa also lets anyone talk as any sender. Here a message is accepted for a sender only
with that sender's proof (appconfig.visitor_proof: the `lq_vid` value the web app issued, signed
with LEADQUAL_SECRET_KEY), in the `X-Visitor-Proof` header or as `metadata.visitor_proof`;
otherwise 403 and nothing reaches Rasa. The proof is taken out of the metadata before Rasa
stores it. Messages are rate limited per client address and per sender (config/limits.yml
`chat:`): 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from appconfig.inputs import VISITOR_ID, VISITOR_ID_PROBLEM, text_problem, without_nul
from appconfig.settings import load_settings, secret_key
from appconfig.visitor_proof import proves
from webapp.limits import ChatRateLimiters, client_address, limits_for, too_many_requests

PROOF_HEADER = "x-visitor-proof"
NO_PROOF = {
    "error": "sender not proven",
    "errors": [
        {
            "field": "sender",
            "problem": "needs its visitor proof (the lq_vid value the site issued) "
            "in the X-Visitor-Proof header or as metadata.visitor_proof",
        }
    ],
}


def body_problems(body: Any) -> list[dict[str, str]]:
    """Every problem with a REST message body, as {field, problem}; [] when Rasa may have it."""
    if not isinstance(body, dict):
        return [{"field": "body", "problem": "must be a JSON object with sender and message"}]
    problems = []
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not VISITOR_ID.fullmatch(sender):
        problems.append({"field": "sender", "problem": f"{VISITOR_ID_PROBLEM} (the site's visitor id)"})
    if not isinstance(message, str):
        problems.append({"field": "message", "problem": "must be text"})
    elif problem := text_problem(message):
        problems.append({"field": "message", "problem": problem})
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        problems.append({"field": "metadata", "problem": "must be a JSON object"})
    if body.get("input_channel") is not None and not isinstance(body["input_channel"], str):
        problems.append({"field": "input_channel", "problem": "must be text"})
    return problems


class WebsiteRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"  # the same URL and channel name as Rasa's own

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        settings = load_settings()
        key, lifetime = secret_key(settings), settings.visitor_id_lifetime_seconds
        rate_limits = ChatRateLimiters.from_config(limits_for(settings.config_dir), settings)

        @blueprint.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            problems = body_problems(request.json)  # not JSON at all: Sanic's own 400
            if problems:
                return json({"error": "message not accepted", "errors": problems}, status=400)
            body = request.json
            metadata = dict(body.get("metadata") or {})
            in_metadata = metadata.pop("visitor_proof", None)
            proof = request.headers.get(PROOF_HEADER) or in_metadata
            if not proves(proof, body["sender"], key, lifetime):
                return json(NO_PROOF, status=403)
            wait, limit = rate_limits.take(client_address(request), body["sender"])
            if wait:
                return too_many_requests(wait, limit)
            # Answered, but stored without NUL characters (PostgreSQL text has none), and
            # without the proof: the tracker store is no place for a credential.
            request.parsed_json = {**body, "message": without_nul(body["message"])}
            if "metadata" in body:
                request.parsed_json["metadata"] = metadata
            return None

        return blueprint
