"""Issue 9, item 3 (rate limits): /track per client address and per visitor id, the rep
links per client address, each with 429 and Retry-After and nothing stored past the limit.
Against the real web app (`python -m webapp`) with limits from its own config/limits.yml."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from appconfig.settings import PROJECT_ROOT
from appconfig.yamlfile import ConfigError
from launcher.checks import check_configs, config_files
from tests.support.servers import RunningWebapp, running_webapp
from tests.webapp.test_tracking import an_event, new_visitor, post, stored
from webapp.limits import LimitsConfig, TokenBuckets, load_limits

GENEROUS = 100_000


@contextmanager
def webapp_with_limits(tmp_path, track_ip: int, visitor_events: int, rep_ip: int) -> Iterator[RunningWebapp]:
    config_dir = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    (config_dir / "limits.yml").write_text(
        f"track:\n  requests_per_minute_per_ip: {track_ip}\n  events_per_minute_per_visitor: {visitor_events}\n"
        f"rep_links:\n  requests_per_minute_per_ip: {rep_ip}\n"
    )
    with running_webapp(f"sqlite:///{tmp_path / 'leads.db'}", LEADQUAL_CONFIG_DIR=str(config_dir)) as server:
        yield server


def assert_too_many(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


def test_track_refuses_an_address_over_its_request_limit(tmp_path):
    with webapp_with_limits(tmp_path, track_ip=5, visitor_events=GENEROUS, rep_ip=GENEROUS) as server:
        visitors = [new_visitor() for _ in range(8)]
        answers = [post(server, {"visitor_id": visitor, "events": [an_event()]}) for visitor in visitors]
        assert [answer.status_code for answer in answers[:5]] == [200] * 5
        for refused in answers[5:]:
            assert_too_many(refused)
        assert [len(stored(server, visitor)) for visitor in visitors] == [1] * 5 + [0] * 3
        # Bad requests count too: a flood of junk is refused before it is even read.
        assert_too_many(post(server, "not json"))


def test_track_stores_no_more_events_for_one_visitor_than_the_limit(tmp_path):
    with webapp_with_limits(tmp_path, track_ip=GENEROUS, visitor_events=8, rep_ip=GENEROUS) as server:
        visitor = new_visitor()
        codes = []
        for _ in range(6):  # 18 events offered in batches of 3: two whole batches fit, then 2 of 3 do not
            codes.append(post(server, {"visitor_id": visitor, "events": [an_event() for _ in range(3)]}).status_code)
        assert codes == [200, 200, 429, 429, 429, 429]
        assert len(stored(server, visitor)) == 6
        assert post(server, {"visitor_id": visitor, "events": [an_event(), an_event()]}).status_code == 200
        assert_too_many(post(server, {"visitor_id": visitor, "events": [an_event()]}))
        assert len(stored(server, visitor)) == 8
        # Another visitor (from the same address) has a bucket of its own.
        other = new_visitor()
        assert post(server, {"visitor_id": other, "events": [an_event()]}).status_code == 200
        assert len(stored(server, other)) == 1


def test_rep_links_refuse_an_address_over_its_limit_with_the_security_headers(tmp_path):
    with webapp_with_limits(tmp_path, track_ip=GENEROUS, visitor_events=GENEROUS, rep_ip=3) as server:
        paths = ["/meetings/1/accept?token=guess1", "/meetings/2/reject?token=guess2", "/meetings/3/invite.ics?token=x"]
        for path in paths:
            assert httpx.get(server.url + path, timeout=10).status_code in (403, 404)
        for path in (*paths, "/reps/priya.shah/meetings.ics?token=x"):
            refused = httpx.get(server.url + path, timeout=10)
            assert_too_many(refused)
            assert refused.headers["Cache-Control"] == "no-store"
        decision = httpx.post(
            f"{server.url}/meetings/1/decision", json={"decision": "accept", "token": "t"}, timeout=10
        )
        assert_too_many(decision)
        # /track has limits of its own.
        assert post(server, {"visitor_id": new_visitor(), "events": [an_event()]}).status_code == 200


def test_a_bucket_refills_at_the_limits_pace():
    now = [0.0]
    buckets = TokenBuckets(capacity=60, period=60, clock=lambda: now[0])
    assert buckets.take("a", 60) == 0
    assert buckets.take("a") == pytest.approx(1.0)  # one a second
    assert buckets.take("b") == 0  # each key its own
    now[0] = 2.5
    assert buckets.take("a", 2) == 0 and buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("a", 61) == float("inf")  # more than the bucket holds never fits


def test_the_shipped_limits_and_their_defaults():
    shipped = load_limits(PROJECT_ROOT / "config" / "limits.yml")
    assert shipped == LimitsConfig()
    assert (shipped.track.requests_per_minute_per_ip, shipped.track.events_per_minute_per_visitor) == (120, 600)
    assert shipped.rep_links.requests_per_minute_per_ip == 30
    assert (shipped.chat.messages_per_minute_per_ip, shipped.chat.messages_per_minute_per_visitor) == (60, 20)
    assert "limits.yml" in config_files()


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("track:\n  requests_per_minute_per_ip: 0\n", "track.requests_per_minute_per_ip", "greater than 0"),
        ("rep_links:\n  requests_per_minute_per_ip: lots\n", "rep_links.requests_per_minute_per_ip", "integer"),
        ("track:\n  request_per_minute: 5\n", "track.request_per_minute", "unknown"),
        ("chat:\n  messages_per_minute_per_visitor: -1\n", "chat.messages_per_minute_per_visitor", "greater than 0"),
        ("chat:\n  messages_per_hour: 5\n", "chat.messages_per_hour", "unknown"),
    ],
)
def test_a_bad_limit_names_file_key_and_problem(tmp_path, text, key, problem):
    path = tmp_path / "limits.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_limits(path)
    assert (error.value.path, error.value.key) == (str(path), key)
    assert problem in error.value.problem.lower(), error.value.problem
    shutil.copytree(PROJECT_ROOT / "config", tmp_path, dirs_exist_ok=True)
    path.write_text(text)
    assert [p for p in check_configs(tmp_path) if "limits.yml" in p] == [str(error.value)]
