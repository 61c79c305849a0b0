"""Rasa's socket.io channel for the website widget, with these fixes to Rasa 3.6.21's own.

- Only pages from ALLOWED_ORIGINS (or PUBLIC_BASE_URL) may connect, compared by scheme, host
  and port: Rasa turns engine.io's origin check off, and browsers apply no CORS rules to
  WebSockets, so any site could otherwise open a socket. A client sending no Origin is not a
  browser page; it may connect only in development (LEADQUAL_ENV=development).
  (The check is in the connect handler, so the CORS headers stay Rasa's `--cors` ones.)
- A socket gets a visitor's session id (and so that visitor's conversation and replies) only
  with the visitor's proof (appconfig.visitor_proof, the `lq_vid` value the web app issued):
  `visitor_proof` in the connect query (what chat.js adds to the socket URL), in the connect
  `auth`, or in the session_request. Asking for an id without its proof (or a malformed id)
  gets a fresh id instead, never joined to the other visitor's room. A message must name the
  session confirmed to its socket, otherwise it gets a polite refusal and reaches no one.
- Messages are rate limited per client address and per session (config/limits.yml `chat:`);
  one over the limit gets a polite "please wait" reply and is not passed on.
- A message Rasa cannot read (not text, a lone surrogate) gets a polite reply instead of
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
from urllib.parse import parse_qs

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from appconfig.inputs import VISITOR_ID, origin_allowed, text_problem, without_nul
from appconfig.settings import load_settings, secret_key
from appconfig.visitor_proof import verify
from webapp.limits import ChatRateLimiters, client_address, limits_for, retry_after_seconds

logger = logging.getLogger(__name__)


# Said in the chat instead of passing the message on; the widget shows it like any reply.
UNREADABLE_MESSAGE = "Sorry, I couldn't read that message. Could you type it again?"
BAD_SESSION = "Sorry, this chat session is not valid any more. Please reload the page to start a new one."
SLOW_DOWN = "You're sending messages faster than I can answer. Please wait {seconds} s and try again."


def _proof_in(auth: Any, environ: dict) -> str | None:
    """`visitor_proof` from the connect `auth` object or the connect URL's query."""
    if isinstance(auth, dict) and isinstance(auth.get("visitor_proof"), str):
        return auth["visitor_proof"]
    values = parse_qs(environ.get("QUERY_STRING", "")).get("visitor_proof")
    return values[0] if values else None


def _address(environ: dict) -> str:
    request = environ.get("sanic.request")  # python-engineio's Sanic driver puts it there
    return client_address(request) if request is not None else environ.get("REMOTE_ADDR", "unknown")


class WebsiteSocketIOInput(SocketIOInput):
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio, namespace = self.sio, self.namespace or "/"
        settings = load_settings()
        allowed_origins = (*settings.allowed_origins, settings.public_base_url)
        key, lifetime = secret_key(settings), settings.visitor_id_lifetime_seconds
        rate_limits = ChatRateLimiters.from_config(limits_for(settings.config_dir), settings)

        def proven_id(proof: Any) -> str | None:
            found = verify(proof, key, lifetime)
            return found.visitor_id if found else None

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
            # What this socket may claim, kept with python-socketio's per-socket session.
            state = {"proven": proven_id(_proof_in(auth, environ)), "address": _address(environ), "session": None}
            await sio.save_session(sid, state, namespace=namespace)
            return await rasa_connect(sid, environ, auth)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            state = await sio.get_session(sid, namespace=namespace)
            if isinstance(data, dict) and data.get("visitor_proof") is not None:
                state["proven"] = proven_id(data["visitor_proof"])
            asked = data.get("session_id") if isinstance(data, dict) else None
            if asked in (None, state["proven"]) and state["proven"] is not None:
                session_id = state["proven"]
            else:
                if isinstance(asked, str) and VISITOR_ID.fullmatch(asked):
                    logger.info("socket %s asked for a session id without its proof: given a fresh one", sid)
                session_id = uuid.uuid4().hex
            if state["session"] is not None and state["session"] != session_id:
                await sio.leave_room(sid, state["session"], namespace=namespace)
            state["session"] = session_id
            await sio.save_session(sid, state, namespace=namespace)
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def reply(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def user_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return await reply(sid, UNREADABLE_MESSAGE)
            state = await sio.get_session(sid, namespace=namespace)
            if self.session_persistence and (state["session"] is None or data.get("session_id") != state["session"]):
                return await reply(sid, BAD_SESSION)
            message = data.get("message", "")
            if not isinstance(message, str) or text_problem(message):
                return await reply(sid, UNREADABLE_MESSAGE)
            wait, _limit = rate_limits.take(state["address"], state["session"] or sid)
            if wait:
                return await reply(sid, SLOW_DOWN.format(seconds=retry_after_seconds(wait)))
            data = {**data, "message": without_nul(message)}  # PostgreSQL text holds no NUL
            metadata = data.get(self.metadata_key)
            if metadata is not None and not isinstance(metadata, dict):
                data[self.metadata_key] = {}  # Rasa json.loads a string, and crashes on junk
            await rasa_message(sid, data)

        return blueprint
