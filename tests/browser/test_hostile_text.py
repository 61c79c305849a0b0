"""Text typed by the visitor and text sent by the assistant is shown as text: no markup is
rendered and nothing runs, also after the conversation is restored on the next page."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HOSTILE = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
]
# The widget renders the assistant's messages as markdown, so the bot side also gets links.
HOSTILE_FROM_BOT = HOSTILE + [
    '<a href="javascript:window.__pwned=1">Book a call</a>',
    "[Book a call](javascript:window.__pwned=1)",
]
# What the visitor must see for each of HOSTILE_FROM_BOT: the text itself, or the link's text.
SHOWN_FROM_BOT = HOSTILE + ['<a href="javascript:window.__pwned=1">Book a call</a>', "Book a call"]


def _nothing_ran(chat) -> None:
    assert chat.page.evaluate("() => window.__pwned") is None
    markup = chat.page.locator(
        ".rw-messages-container script, .rw-messages-container img, .rw-messages-container iframe"
    )
    assert markup.count() == 0
    assert chat.errors == []


def test_hostile_visitor_text_is_shown_as_text(visitor):
    visitor.visit("/")
    visitor.open()
    for text in HOSTILE:
        assert visitor.say(text), f"no reply to {text!r}"
    assert visitor.visitor_texts()[-len(HOSTILE) :] == HOSTILE
    _nothing_ran(visitor)

    visitor.visit("/pricing")  # the widget renders the stored conversation again
    visitor.wait_for_launcher()
    if not visitor.is_open():
        visitor.page.click(".rw-launcher")
    visitor.page.wait_for_selector(".rw-messages-container .rw-client")
    assert visitor.visitor_texts()[-len(HOSTILE) :] == HOSTILE
    _nothing_ran(visitor)


def test_hostile_bot_text_is_shown_as_text_and_its_links_do_not_run(visitor, rasa_api):
    visitor.visit("/")
    shown = len(visitor.open())
    for text in HOSTILE_FROM_BOT:
        rasa_api.send_as_bot(visitor.visitor_id, text)
    visitor.wait_for_bot_messages(shown + len(HOSTILE_FROM_BOT))
    assert visitor.bot_texts()[shown:] == SHOWN_FROM_BOT

    links = visitor.page.locator(".rw-messages-container a")
    assert links.count() == 1  # the markdown link; the raw <a> is text
    links.first.click()
    _nothing_ran(visitor)
