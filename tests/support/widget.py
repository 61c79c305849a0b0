"""Driving the chat widget (rasa-webchat) in a page, and reading the conversation back from
Rasa's HTTP API to know when the assistant has finished answering."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import httpx

from appconfig.settings import PROJECT_ROOT

if TYPE_CHECKING:  # playwright is imported by the browser fixture, which skips without it
    from playwright.sync_api import Page

# A reply needs rasa, the action server and the database; shared CI machines can be slow.
REPLY_TIMEOUT_S = 90
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# Bot messages, not the "typing" bubble the widget shows while it holds the next one back.
BOT_MESSAGE = ".rw-messages-container .rw-message:not(.rw-typing-indication) .rw-response"
NO_REPLY_HINT = (
    "Rasa answered, but the reply never reached the widget. Rasa 3.6.21's socket.io channel calls "
    "python-socketio's coroutine enter_room without await (RasaHQ/rasa#13027), so with "
    "python-socketio 5.10 or newer no reply reaches a session_persistence client: use a channel "
    "that awaits it, or pin python-socketio==5.9.0."
)


class RasaAPI:
    """The parts of Rasa's HTTP API the tests read (and one they write)."""

    def __init__(self, env: dict[str, str]):
        self.url = f"http://127.0.0.1:{env['RASA_PORT']}"
        self.params = {"token": env["RASA_API_TOKEN"]} if env.get("RASA_API_TOKEN") else {}

    def tracker(self, sender_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/conversations/{sender_id}/tracker", params=self.params, timeout=30)
        response.raise_for_status()
        return response.json()

    def user_events(self, sender_id: str) -> list[dict[str, Any]]:
        return [event for event in self.tracker(sender_id)["events"] if event["event"] == "user"]

    def send_as_bot(self, sender_id: str, text: str) -> None:
        """Push a message to the visitor's open widget through the socket.io channel, exactly as
        a reply of the assistant travels."""
        response = httpx.post(
            f"{self.url}/conversations/{sender_id}/tracker/events",
            params={**self.params, "output_channel": "latest", "execute_side_effects": "true"},
            json={"event": "bot", "text": text},
            timeout=30,
        )
        response.raise_for_status()


class ChatWidget:
    """One visitor's page with the chat widget. `errors` collects uncaught script errors and
    alert/confirm dialogs (an injected script would typically raise one or the other)."""

    def __init__(self, page: Page, site_url: str, rasa: RasaAPI):
        self.page, self.site_url, self.rasa = page, site_url, rasa
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("dialog", lambda dialog: (self.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))

    def screenshot(self, name: str) -> None:
        """test-artifacts/<name>.png, with the widget's animations run to their end."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled")

    def visit(self, path: str) -> None:
        self.page.goto(self.site_url + path)
        self.page.wait_for_function("() => window.leadTracker !== undefined")

    @property
    def visitor_id(self) -> str:
        """The id of the visitor's lq_vid cookie (HttpOnly: no script on the page reads it)."""
        (cookie,) = [c for c in self.page.context.cookies(self.site_url) if c["name"] == "lq_vid"]
        return cookie["value"].split(".")[0]

    def wait_for_launcher(self) -> None:
        """The widget shows its launcher once it is mounted and connected to Rasa."""
        self.page.wait_for_selector(".rw-launcher", timeout=REPLY_TIMEOUT_S * 1000)

    def is_open(self) -> bool:
        return self.page.locator(".rw-conversation-container").count() > 0

    def open(self) -> list[str]:
        """Click the launcher; the widget sends /greet; returns the greeting."""
        self.wait_for_launcher()
        turns = len(self.rasa.user_events(self.visitor_id)) + 1  # counted before the click sends /greet
        self.page.click(".rw-launcher")
        self.wait_for_answer(user_turns=turns)
        return self.bot_texts()

    def say(self, text: str) -> list[str]:
        """Type a message and press Enter; returns the replies it got."""
        shown = len(self.bot_texts())
        turns = len(self.rasa.user_events(self.visitor_id)) + 1
        box = self.page.locator(".rw-new-message")
        box.fill(text)
        box.press("Enter")
        self.wait_for_answer(turns)
        return self.bot_texts()[shown:]

    def reply_buttons(self) -> list[str]:
        return self.page.locator(".rw-replies .rw-reply").all_inner_texts()

    def pick(self, title: str) -> list[str]:
        """Click the reply button with this title; returns the replies it got."""
        shown = len(self.bot_texts())
        turns = len(self.rasa.user_events(self.visitor_id)) + 1
        self.page.locator(".rw-replies .rw-reply", has_text=title).first.click()
        self.wait_for_answer(turns)
        return self.bot_texts()[shown:]

    def bot_texts(self) -> list[str]:
        return self.page.locator(BOT_MESSAGE).all_inner_texts()

    def visitor_texts(self) -> list[str]:
        return self.page.locator(".rw-messages-container .rw-client").all_inner_texts()

    def wait_for_bot_messages(self, count: int) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(
                "([selector, n]) => document.querySelectorAll(selector).length >= n",
                arg=[BOT_MESSAGE, count],
                timeout=REPLY_TIMEOUT_S * 1000,
            )
        except PlaywrightTimeout:
            raise AssertionError(
                f"the widget shows {len(self.bot_texts())} of {count} bot messages. {NO_REPLY_HINT}"
            ) from None

    def wait_for_answer(self, user_turns: int) -> None:
        """Wait until Rasa has handled `user_turns` visitor messages and is listening again,
        then until the widget shows every bot message of the conversation (it shows each one
        after a short typing delay)."""
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:
            events = self.rasa.tracker(self.visitor_id)["events"]
            handled = sum(1 for event in events if event["event"] == "user")
            listening = bool(events) and events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
            if handled >= user_turns and listening:
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"Rasa handled {handled} of {user_turns} messages of {self.visitor_id} within {REPLY_TIMEOUT_S}s"
                )
            time.sleep(0.3)
        self.wait_for_bot_messages(sum(1 for event in events if event["event"] == "bot" and event.get("text")))


async def hang_up(client: Any) -> None:
    """Close a python-socketio client over polling without waiting out the server's long poll
    (a plain `disconnect()` waits for it, about 30 s)."""
    eio = client.eio
    tasks = [task for task in (eio.read_loop_task, eio.write_loop_task) if task is not None]
    await eio.disconnect(abort=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if eio.http is not None:
        await eio.http.close()
