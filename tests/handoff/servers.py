"""Real local servers for delivery tests: a scripted HTTP receiver and an SMTP server."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable

from aiosmtpd.controller import Controller


class ScriptedHttpServer:
    """Answers POSTs by a script: "500", "503", "close" (hang up without answering) or "ok"
    for each request in turn, then `then` for all later ones. Keeps the bodies it accepted."""

    def __init__(self, script: Iterable[str] = (), then: str = "ok"):
        self.script, self.then = list(script), then
        self.accepted: list[dict] = []
        self.requests = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with server._lock:
                    server.requests += 1
                    action = server.script.pop(0) if server.script else server.then
                    if action == "ok":
                        server.accepted.append(json.loads(body))
                if action == "close":
                    self.close_connection = True
                    return
                self.send_response(200 if action == "ok" else int(action))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/hook"

    def __enter__(self) -> "ScriptedHttpServer":
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.shutdown()
        self._http.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """aiosmtpd on a free local port; `envelopes` holds what it received."""

    def __init__(self):
        self._inbox = _Inbox()
        self.port = _free_port()
        self._controller = Controller(self._inbox, hostname="127.0.0.1", port=self.port)

    @property
    def envelopes(self):
        return self._inbox.envelopes

    def __enter__(self) -> "LocalSmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
