"""The login limiter's window and the session cookie's signature and expiry, with a controlled clock."""

from webapp.console.auth import LoginLimiter, make_session, read_session


def test_the_limiter_blocks_after_five_failures_and_forgets_them_after_the_window():
    now = [1000.0]
    limiter = LoginLimiter(per_user=5, per_address=20, window=900, clock=lambda: now[0])
    for _ in range(5):
        assert limiter.retry_after("10.0.0.1", "ana") is None
        limiter.failed("10.0.0.1", "ana")
    assert limiter.retry_after("10.0.0.1", "ana") == 901
    assert limiter.retry_after("10.0.0.1", "ben") is None  # another name from the same address
    now[0] += 901
    assert limiter.retry_after("10.0.0.1", "ana") is None
    assert limiter._failures == {}  # nothing kept for old failures


def test_a_session_cookie_is_refused_when_tampered_with_signed_with_another_key_or_expired():
    cookie = make_session("key", "ana", now=1000)
    assert read_session("key", cookie, now=1001).username == "ana"
    payload, signature = cookie.rsplit(".", 1)
    assert read_session("key", f"{payload}x.{signature}", now=1001) is None
    assert read_session("other key", cookie, now=1001) is None
    assert read_session("key", cookie, now=1000 + 8 * 3600 + 1) is None
