"""Rasa's REST channel (`/webhooks/rest/webhook`) with its body checked before Rasa sees it.

Stock Rasa 3.6.21 answers 500 to a body that is not a JSON object (`[1]`, `null`), turns a
missing sender into the shared conversation `default`, takes any string as a sender
(`../../x`, 5,000 characters, NUL) and stays silent on a message it cannot encode (a lone
surrogate). Here each of those is a 400 naming the field and the problem; a sender must be a
visitor id in the format the site issues (appconfig.inputs.VISITOR_ID).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from appconfig.inputs import VISITOR_ID, VISITOR_ID_PROBLEM, text_problem, without_nul


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

        @blueprint.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            problems = body_problems(request.json)  # not JSON at all: Sanic's own 400
            if problems:
                return json({"error": "message not accepted", "errors": problems}, status=400)
            # Answered, but stored without NUL characters (PostgreSQL text has none).
            request.parsed_json = {**request.json, "message": without_nul(request.json["message"])}
            return None

        return blueprint
