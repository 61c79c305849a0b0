"""The website chat channels (socket.io and REST) alone, on a real Sanic server, with an echo in
place of Rasa's agent: what the channels themselves let through, in any LEADQUAL_ENV, without
loading a model.

    python -m tests.support.channel_server --port N
"""

from __future__ import annotations

import argparse
import warnings

from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sanic.response import json

from channels.website_rest import WebsiteRestInput
from channels.website_socketio import WebsiteSocketIOInput


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    channel = WebsiteSocketIOInput(
        user_message_evt="user_uttered", bot_message_evt="bot_uttered", session_persistence=True
    )

    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = Sanic("channel_server", register=False)
    app.blueprint(channel.blueprint(echo))
    app.blueprint(WebsiteRestInput().blueprint(echo), url_prefix="/webhooks/rest")
    app.add_route(lambda request: json({"status": "ok"}), "/healthz")
    app.run(host="127.0.0.1", port=args.port, motd=False, access_log=False)


if __name__ == "__main__":
    main()
