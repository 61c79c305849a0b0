"""Rate limits: config/limits.yml and the token buckets that enforce it.

A token bucket per key (a client address, a visitor id) holds up to `capacity` tokens and
gains `capacity` of them evenly over `period` seconds; a request spends one token (or one per
event) and is refused when the bucket has too few, with the seconds until it would have
enough (the `Retry-After` of the 429). So a client may burst up to the limit, then goes on at
the limit's pace.

The buckets live in the web app's memory: each process counts on its own (several processes
behind one address would need a shared counter such as Redis)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import conint
from sanic import Request
from sanic.response import HTTPResponse, json

from appconfig.yamlfile import ConfigModel, parse_config

PositiveInt = conint(strict=True, gt=0)


class TrackLimits(ConfigModel):
    requests_per_minute_per_ip: PositiveInt = 120  # type: ignore[valid-type]
    events_per_minute_per_visitor: PositiveInt = 600  # type: ignore[valid-type]


class RepLinkLimits(ConfigModel):
    requests_per_minute_per_ip: PositiveInt = 30  # type: ignore[valid-type]


class ChatLimits(ConfigModel):
    """Counted by the chat channels (channels/website_rest.py, website_socketio.py) in Rasa's process."""

    messages_per_minute_per_ip: PositiveInt = 60  # type: ignore[valid-type]
    messages_per_minute_per_visitor: PositiveInt = 20  # type: ignore[valid-type]


class LimitsConfig(ConfigModel):
    track: TrackLimits = TrackLimits()
    rep_links: RepLinkLimits = RepLinkLimits()
    chat: ChatLimits = ChatLimits()


def load_limits(path: Path | str) -> LimitsConfig:
    return parse_config(LimitsConfig, path)


@lru_cache(maxsize=8)
def _cached(path: Path) -> LimitsConfig:
    return load_limits(path)


def limits_for(config_dir: Path) -> LimitsConfig:
    """The limits of `config_dir`, read once per process (start-up checks already validated them)."""
    return _cached(Path(config_dir) / "limits.yml")


class TokenBuckets:
    """One bucket per key, `capacity` tokens refilled over `period` seconds. At most `max_keys`
    buckets are kept: the least recently used go first (a forgotten key starts full again,
    which only a client with over `max_keys` addresses can use)."""

    def __init__(
        self,
        capacity: int,
        period: float = 60.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.capacity, self.rate, self.max_keys, self.clock = capacity, capacity / period, max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str, cost: int = 1) -> float:
        """Spend `cost` tokens of `key`'s bucket: 0 when done, otherwise the seconds to wait
        until they would be there (nothing is spent then). A cost above the capacity never fits."""
        with self._lock:
            now = self.clock()
            tokens, when = self._buckets.pop(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - when) * self.rate)
            if cost <= tokens:
                tokens -= cost
                wait = 0.0
            elif cost > self.capacity:
                wait = math.inf
            else:
                wait = (cost - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


@dataclass(frozen=True)
class RateLimiters:
    track_per_ip: TokenBuckets
    track_events_per_visitor: TokenBuckets
    rep_links_per_ip: TokenBuckets

    @classmethod
    def from_config(cls, config: LimitsConfig) -> RateLimiters:
        return cls(
            track_per_ip=TokenBuckets(config.track.requests_per_minute_per_ip),
            track_events_per_visitor=TokenBuckets(config.track.events_per_minute_per_visitor),
            rep_links_per_ip=TokenBuckets(config.rep_links.requests_per_minute_per_ip),
        )


@dataclass(frozen=True)
class ChatRateLimiters:
    per_ip: TokenBuckets
    per_visitor: TokenBuckets

    @classmethod
    def from_config(cls, config: LimitsConfig) -> ChatRateLimiters:
        return cls(
            per_ip=TokenBuckets(config.chat.messages_per_minute_per_ip),
            per_visitor=TokenBuckets(config.chat.messages_per_minute_per_visitor),
        )

    def take(self, address: str, visitor_id: str) -> tuple[float, str]:
        """(seconds to wait, which limit) for one message; (0, "") when it may go on. A message
        refused by the address limit does not spend the visitor's."""
        wait = self.per_ip.take(address)
        if wait:
            return wait, "client address"
        wait = self.per_visitor.take(visitor_id)
        return (wait, "sender") if wait else (0.0, "")


def retry_after_seconds(wait: float) -> int:
    return 3600 if math.isinf(wait) else max(1, math.ceil(wait))


def client_address(request: Request) -> str:
    """The client's address: the proxy's forwarded one only where Sanic is told to trust it
    (FORWARDED_SECRET, REAL_IP_HEADER, PROXIES_COUNT), so a header cannot pick a fresh bucket."""
    return request.remote_addr or request.ip or "unknown"


def too_many_requests(wait: float, what: str) -> HTTPResponse:
    """429 with Retry-After in whole seconds (at least 1)."""
    seconds = retry_after_seconds(wait)
    return json(
        {"error": "too many requests", "errors": [{"field": what, "problem": f"over the limit; retry in {seconds} s"}]},
        status=429,
        headers={"Retry-After": str(seconds)},
    )
