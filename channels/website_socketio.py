"""Rasa's socket.io channel for the website widget, with two fixes to Rasa 3.6.21's own.

- Only pages from ALLOWED_ORIGINS may connect: Rasa turns engine.io's origin check off, and
  browsers apply no CORS rules to WebSockets, so any site could otherwise open a socket.
  (The check is in the connect handler, so the CORS headers stay Rasa's `--cors` ones.)
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

from appconfig.settings import load_settings

logger = logging.getLogger(__name__)


class WebsiteSocketIOInput(SocketIOInput):
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio, namespace = self.sio, self.namespace or "/"
        allowed_origins = set(load_settings().allowed_origins)
        rasa_connect = sio.handlers[namespace]["connect"]

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin is not None and origin not in allowed_origins:
                logger.warning("socket.io connection from %s refused: not in ALLOWED_ORIGINS", origin)
                return False
            return await rasa_connect(sid, environ, auth)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: dict | None) -> None:
            session_id = (data or {}).get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        return blueprint
