"""Rate limits: config/limits.yml and the token buckets that enforce it.

A token bucket per key (a client address, a visitor id) holds up to `capacity` tokens and
gains `capacity` of them evenly over `period` seconds; a request spends one token (or one per
event) and is refused when the bucket has too few, with the seconds until it would have
enough (the `Retry-After` of the 429). So a client may burst up to the limit, then goes on at
the limit's pace.

In the embedded profile the buckets live in each process's memory. In the production profile,
where several Rasa replicas (and web-app processes) sit behind one proxy, they live in Redis
(`REDIS_RATE_LIMIT_DB`), so a visitor gets the limit once, not once per replica. When Redis does
not answer, each process counts on its own for a few seconds and then tries again: a limiter
outage neither stops the chat nor lifts the limits."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import redis
from pydantic import conint
from sanic import Request
from sanic.response import HTTPResponse, json

from appconfig.settings import Settings
from appconfig.yamlfile import ConfigModel, parse_config

log = logging.getLogger(__name__)

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


# One bucket as a Redis hash {tokens, when}, refilled and spent in one atomic step: the arithmetic
# of TokenBuckets.take, on the Redis server. The time is
# the Redis server's, so processes on several machines agree on it. Lua numbers come back to
# the client as integers, so the wait is returned as a string; -1 means "never fits".
_TAKE_SCRIPT = """
local capacity, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'when')
local tokens = tonumber(state[1]) or capacity
local when = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - when) * rate)
local wait = 0
if cost <= tokens then
  tokens = tokens - cost
elseif cost > capacity then
  wait = -1
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'when', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return tostring(wait)
"""


class SharedTokenBuckets:
    """TokenBuckets kept in Redis, shared by every process that names the same `name`. While
    Redis fails, `fallback` (this process's own buckets) counts, for `retry_after` seconds."""

    def __init__(
        self,
        client: redis.Redis,
        name: str,
        capacity: int,
        period: float = 60.0,
        retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name, self.capacity, self.rate = name, capacity, capacity / period
        self.fallback = TokenBuckets(capacity, period, clock=clock)
        self.retry_after, self.clock = retry_after, clock
        self._script = client.register_script(_TAKE_SCRIPT)
        self._down_until = 0.0

    def take(self, key: str, cost: int = 1) -> float:
        if self.clock() >= self._down_until:
            try:
                wait = float(
                    self._script(keys=[f"leadqual:rate:{self.name}:{key}"], args=[self.capacity, self.rate, cost])
                )
                return math.inf if wait < 0 else wait
            except redis.RedisError as error:
                log.warning(
                    "rate limits: Redis failed (%s); counting in this process for %s s", error, self.retry_after
                )
                self._down_until = self.clock() + self.retry_after
        return self.fallback.take(key, cost)


Buckets = TokenBuckets | SharedTokenBuckets


def bucket_maker(settings: Settings | None) -> Callable[[str, int], Buckets]:
    """Builds the buckets for one limit (a name and a capacity per minute): shared through Redis
    in the production profile, in this process's memory otherwise."""
    if settings is None or settings.profile != "production":
        return lambda name, capacity: TokenBuckets(capacity)
    client = redis.Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        db=settings.redis_rate_limit_db,
        socket_timeout=0.25,  # a slow Redis must not hold a chat message for long
        socket_connect_timeout=0.25,
    )
    return lambda name, capacity: SharedTokenBuckets(client, name, capacity)


@dataclass(frozen=True)
class RateLimiters:
    track_per_ip: Buckets
    track_events_per_visitor: Buckets
    rep_links_per_ip: Buckets

    @classmethod
    def from_config(cls, config: LimitsConfig, settings: Settings | None = None) -> RateLimiters:
        buckets = bucket_maker(settings)
        return cls(
            track_per_ip=buckets("track-ip", config.track.requests_per_minute_per_ip),
            track_events_per_visitor=buckets("track-visitor", config.track.events_per_minute_per_visitor),
            rep_links_per_ip=buckets("rep-links-ip", config.rep_links.requests_per_minute_per_ip),
        )


@dataclass(frozen=True)
class ChatRateLimiters:
    per_ip: Buckets
    per_visitor: Buckets

    @classmethod
    def from_config(cls, config: LimitsConfig, settings: Settings | None = None) -> ChatRateLimiters:
        buckets = bucket_maker(settings)
        return cls(
            per_ip=buckets("chat-ip", config.chat.messages_per_minute_per_ip),
            per_visitor=buckets("chat-visitor", config.chat.messages_per_minute_per_visitor),
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
