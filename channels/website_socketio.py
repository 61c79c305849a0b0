"""Rasa's socket.io channel for the website widget, with these fixes to Rasa 3.6.21's own.

- Only pages from ALLOWED_ORIGINS (or PUBLIC_BASE_URL) may connect, compared by scheme, host
  and port: Rasa turns engine.io's origin check off, and browsers apply no CORS rules to
  WebSockets, so any site could otherwise open a socket. A client sending no Origin is not a
  browser page; it may connect only in development (LEADQUAL_ENV=development).
  (The check is in the connect handler, so the CORS headers stay Rasa's `--cors` ones.)
- Session ids are visitor ids in the site's format (a malformed one gets a fresh id), and a
  message Rasa cannot read (not text, a lone surrogate) gets a polite reply instead of
  the silence of a crashed handler.
- The session's room is joined with `await`: Rasa 3.6.21 calls python-socketio's coroutine
  `enter_room` without it (RasaHQ/rasa#13027), so with python-socketio >= 5.10 no reply reaches
  the widget when session_persistence is on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from appconfig.inputs import VISITOR_ID, origin_allowed, text_problem, without_nul
from appconfig.settings import load_settings

logger = logging.getLogger(__name__)


# Said in the chat instead of passing the message on; the widget shows it like any reply.
UNREADABLE_MESSAGE = "Sorry, I couldn't read that message. Could you type it again?"
BAD_SESSION = "Sorry, this chat session is not valid any more. Please reload the page to start a new one."


class WebsiteSocketIOInput(SocketIOInput):
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio, namespace = self.sio, self.namespace or "/"
        settings = load_settings()
        allowed_origins = (*settings.allowed_origins, settings.public_base_url)
        rasa_connect = sio.handlers[namespace]["connect"]
        rasa_message = sio.handlers[namespace][self.user_message_evt]

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin is None and not settings.is_development:
                logger.warning("socket.io connection without Origin refused (LEADQUAL_ENV=%s)", settings.environment)
                return False
            if origin is not None and not origin_allowed(origin, allowed_origins):
                logger.warning("socket.io connection from %r refused: not in ALLOWED_ORIGINS", origin[:200])
                return False
            return await rasa_connect(sid, environ, auth)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            asked = data.get("session_id") if isinstance(data, dict) else None
            session_id = asked if isinstance(asked, str) and VISITOR_ID.fullmatch(asked) else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def reply(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def user_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return await reply(sid, UNREADABLE_MESSAGE)
            session_id = data.get("session_id")
            if self.session_persistence and not (isinstance(session_id, str) and VISITOR_ID.fullmatch(session_id)):
                return await reply(sid, BAD_SESSION)
            message = data.get("message", "")
            if not isinstance(message, str) or text_problem(message):
                return await reply(sid, UNREADABLE_MESSAGE)
            data = {**data, "message": without_nul(message)}  # PostgreSQL text holds no NUL
            metadata = data.get(self.metadata_key)
            if metadata is not None and not isinstance(metadata, dict):
                data[self.metadata_key] = {}  # Rasa json.loads a string, and crashes on junk
            await rasa_message(sid, data)

        return blueprint
