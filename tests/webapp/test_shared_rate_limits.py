"""Rate limits in the production profile: the buckets live in Redis (the machine's real server),
so several replicas behind the proxy count one visitor together, and a Redis that does not
answer leaves each process counting on its own instead of failing the message."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from appconfig.settings import Settings
from webapp.limits import ChatRateLimiters, LimitsConfig, SharedTokenBuckets, TokenBuckets

LIMITS = LimitsConfig.parse_obj({"chat": {"messages_per_minute_per_ip": 1000, "messages_per_minute_per_visitor": 3}})
TEST_DB = 14  # not the profile's default (2): tests never touch a running stack's buckets


def production(**overrides) -> Settings:
    return Settings(profile="production", redis_rate_limit_db=TEST_DB, **overrides)


@pytest.fixture(scope="module", autouse=True)
def redis_answers():
    try:
        redis.Redis(db=TEST_DB, socket_connect_timeout=1).ping()
    except redis.RedisError as error:  # the development and CI machines run Redis on 6379
        pytest.fail(f"these tests need the local Redis: {error}")


def test_two_replicas_count_one_visitor_together():
    first, second = (
        ChatRateLimiters.from_config(LIMITS, production()),
        ChatRateLimiters.from_config(LIMITS, production()),
    )
    visitor = f"v-{uuid.uuid4()}"
    assert [
        first.take("10.0.0.1", visitor)[0],
        second.take("10.0.0.2", visitor)[0],
        first.take("10.0.0.3", visitor)[0],
    ] == [0, 0, 0]
    wait, limit = second.take("10.0.0.4", visitor)
    assert limit == "sender"
    assert 19 <= wait <= 21  # 3 a minute: one token back every 20 s
    assert first.take("10.0.0.5", f"v-{uuid.uuid4()}") == (0.0, "")  # another visitor has their own bucket


def test_the_embedded_profile_counts_in_each_process():
    limiters = ChatRateLimiters.from_config(LIMITS, Settings(profile="embedded"))
    assert isinstance(limiters.per_visitor, TokenBuckets)
    other = ChatRateLimiters.from_config(LIMITS, Settings(profile="embedded"))
    visitor = f"v-{uuid.uuid4()}"
    for _ in range(3):
        assert limiters.take("10.0.0.1", visitor)[0] == 0
    assert other.take("10.0.0.1", visitor)[0] == 0  # its own memory, its own count


def test_a_cost_above_the_capacity_never_fits():
    buckets = SharedTokenBuckets(redis.Redis(db=TEST_DB), "events", 5)
    assert buckets.take(f"v-{uuid.uuid4()}", cost=6) == float("inf")


@contextmanager
def redis_server(port: int) -> Iterator[None]:
    """A Redis of the test's own on `port` (the machine's redis-server), so it can stop and start."""
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_without_redis_each_process_still_counts_and_tries_again_later():
    with socket.socket() as probe:  # a port where nothing listens yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    now = [0.0]
    client = redis.Redis(port=port, socket_timeout=0.25, socket_connect_timeout=0.25)
    buckets = SharedTokenBuckets(client, "chat-visitor", 2, clock=lambda: now[0])
    visitor = f"v-{uuid.uuid4()}"
    assert [buckets.take(visitor), buckets.take(visitor)] == [0, 0]
    assert buckets.take(visitor) > 0  # the limit holds in this process
    with redis_server(port):  # Redis is back
        assert buckets.take(visitor) > 0  # still counted here until the retry time is up
        now[0] += buckets.retry_after
        assert buckets.take(visitor) == 0  # Redis counts again: a fresh, shared bucket
        assert client.exists(f"leadqual:rate:chat-visitor:{visitor}")
