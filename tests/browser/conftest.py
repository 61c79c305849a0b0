"""Browser tests: Debian's chromium, driven by Playwright for Python, against the real stack
(rasa, the action server and the web app, started once per session by tests/conftest.py).

Every visitor's page is saved as a screenshot in test-artifacts/ when its test ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.widget import ChatWidget, RasaAPI

CHROMIUM = Path(os.getenv("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VISITOR_TIMEZONE = "America/New_York"


def _unavailable(reason: str) -> None:
    if os.getenv("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """One chromium per test module (Playwright's sync API runs its own event loop, so it is
    started and stopped around a module rather than held for the whole session)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site_url(running_stack) -> str:
    url = f"http://127.0.0.1:{running_stack.env['WEB_PORT']}"
    home = httpx.get(f"{url}/", timeout=10)
    if home.status_code != 200 or not home.headers.get("content-type", "").startswith("text/html"):
        pytest.fail(f"GET {url}/ answered {home.status_code}: register webapp.site.site in webapp.app.create_app()")
    widget = httpx.get(f"{url}/vendor/rasa-webchat/index.js", timeout=10)
    if widget.status_code != 200:
        pytest.fail(f"the chat widget bundle is missing ({widget.status_code}): run `npm ci --prefix web`")
    return url


@pytest.fixture(scope="session")
def rasa_api(running_stack) -> RasaAPI:
    return RasaAPI(running_stack.env)


@contextmanager
def visitor_session(
    browser, site_url: str, rasa_api: RasaAPI, name: str, timezone: str = VISITOR_TIMEZONE, consented: bool = True
) -> Iterator[ChatWidget]:
    """A new visitor (own cookies and storage) whose browser is in `timezone`; `consented`: one
    who accepted the consent banner on an earlier visit (test_consent_banner.py meets it first)."""
    context = browser.new_context(timezone_id=timezone, locale="en-US", viewport={"width": 1280, "height": 860})
    if consented:
        context.add_cookies([{"name": "lq_consent", "value": "granted", "url": site_url}])
    chat = ChatWidget(context.new_page(), site_url, rasa_api)
    try:
        yield chat
    finally:
        try:
            chat.screenshot(name)
        finally:
            context.close()


@pytest.fixture
def visitor(browser, site_url, rasa_api, request) -> Iterator[ChatWidget]:
    with visitor_session(browser, site_url, rasa_api, request.node.name) as chat:
        yield chat
