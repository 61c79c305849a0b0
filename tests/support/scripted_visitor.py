"""A visitor who answers whatever the assistant asks, over Rasa's REST channel, until a meeting
is booked (or the assistant closes the chat). Used by the production-profile tests and by
bench/production_load.py, which run many at once while processes die underneath them.

The question asked is recognised from the assistant's own lines (domain.yml's `utter_ask_*`
responses), so a visitor follows the conversation wherever it resumes. When a message fails
(the proxy answers 5xx, the connection drops), the visitor waits and sends the same words again,
as a person whose message did not go through would; wherever the conversation resumes, the
assistant's reply shows what it asks next.
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from tests.support.identity import proof_headers

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def asked_questions(domain_path: Path = PROJECT_ROOT / "domain.yml") -> dict[str, str]:
    """The text of every `utter_ask_<slot>` line → the slot it asks for."""
    responses = yaml.safe_load(domain_path.read_text())["responses"]
    return {
        variant["text"]: name.removeprefix("utter_ask_")
        for name, variants in responses.items()
        if name.startswith("utter_ask_")
        for variant in variants
    }


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in _PLACEHOLDER.split(text)), re.DOTALL)


def _lines(domain_path: Path, name: str) -> list[re.Pattern[str]]:
    responses = yaml.safe_load(domain_path.read_text())["responses"]
    return [_pattern(variant["text"]) for variant in responses[name]]


COUNTRIES = ["Germany", "the UK", "the Netherlands", "Sweden", "the US", "Canada", "Austria", "France"]


@dataclass
class Profile:
    """A sales-qualified buyer; `n` makes their name and email their own."""

    n: int

    def answer(self, slot: str) -> str:
        return {
            "need": "we lose inbound leads because nobody follows up fast enough",
            "timeline": "within the next month",
            "authority": "I'm the head of sales and I sign off on tools like this",
            "budget": "about 30k a year",
            "company": "Northwind Traders",
            "company_size": "around 400 people",
            "person_name": f"Alex Morgan{'' if self.n == 0 else ' ' + _suffix(self.n)}",
            "email": f"alex.morgan.{self.n}@northwind-traders.com",
            # Asked only when routing needs them: this visitor's client sends no time zone. The
            # countries spread the load over the roster's territories, as real traffic does.
            "country": f"we're based in {COUNTRIES[self.n % len(COUNTRIES)]}",
            "industry": "wholesale distribution",
        }[slot]


def _suffix(n: int) -> str:
    # Person names are words, not digits: 0 → "", 1 → "Abbot", ... (a distinct surname per visitor)
    words = ["Abbot", "Baker", "Carter", "Dalton", "Ellis", "Foster", "Garcia", "Hughes", "Irwin", "Jensen"]
    return "-".join(words[int(digit)] for digit in str(n))


@dataclass
class Outcome:
    sender: str
    booked: bool = False
    closed: bool = False  # the assistant ended the chat without a booking (MQL, no times, ...)
    messages: int = 0
    failures: int = 0  # messages that got no answer (5xx, connection lost) and were written again
    latencies: list[float] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)


class ScriptedVisitor:
    def __init__(
        self,
        base_url: str,
        profile: Profile,
        env: Mapping[str, str],
        sender: str | None = None,
        max_messages: int = 40,
    ):
        """`env`: the stack's environment, whose key signs this visitor's proof."""
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.outcome = Outcome(sender or uuid.uuid4().hex)
        self._headers = proof_headers(self.outcome.sender, env)
        self.max_messages = max_messages
        self._questions = asked_questions()
        self._booked = [
            pattern
            for name in ("utter_meeting_booked", "utter_greet_booked", "utter_greet_booked_no_email")
            for pattern in _lines(PROJECT_ROOT / "domain.yml", name)
        ]
        self._closed = _lines(PROJECT_ROOT / "domain.yml", "utter_tier_mql") + _lines(
            PROJECT_ROOT / "domain.yml", "utter_no_rep_available"
        )

    async def _send(self, client: httpx.AsyncClient, text: str) -> list[dict] | None:
        self.outcome.messages += 1
        self.outcome.transcript.append(("visitor", text))
        started = asyncio.get_running_loop().time()
        try:
            response = await client.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": self.outcome.sender, "message": text},
                headers=self._headers,
            )
        except httpx.HTTPError:
            return None
        self.outcome.latencies.append(asyncio.get_running_loop().time() - started)
        if response.status_code != 200:
            return None
        replies = response.json()
        for reply in replies:
            self.outcome.transcript.append(("assistant", reply.get("text", "")))
        return replies

    def _next_message(self, replies: list[dict]) -> str | None:
        """What the visitor says to these replies; None when the conversation is over."""
        texts = [reply.get("text", "") for reply in replies]
        if any(pattern.fullmatch(text) for text in texts for pattern in self._booked):
            self.outcome.booked = True
            return None
        if any(pattern.fullmatch(text) for text in texts for pattern in self._closed):
            self.outcome.closed = True
            return None
        times = [
            button["payload"]
            for reply in replies
            for button in reply.get("buttons", [])
            if button.get("payload", "").startswith("/choose_slot")
        ]
        if times:
            return random.choice(times)  # visitors spread over the times offered
        for text in reversed(texts):
            if text in self._questions:
                return self.profile.answer(self._questions[text])
        return "hello again?"

    async def run(self, client: httpx.AsyncClient) -> Outcome:
        message: str | None = "hi, we're looking for a way to qualify website leads"
        while message is not None and self.outcome.messages < self.max_messages:
            replies = await self._send(client, message)
            if replies is None:
                self.outcome.failures += 1
                await asyncio.sleep(1.0)
                continue  # the same message again
            message = self._next_message(replies)
        return self.outcome
