"""Issue 9, item 5: hostile /track input is a clear 4xx naming the field, never a 500, and
nothing of it is stored."""

from __future__ import annotations

import pytest

from tests.webapp.test_tracking import an_event, error_fields, new_visitor, post, stored


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"url": "https://www.example-site.test/\ud800"}, "events[0].url"),
        ({"url": "https://www.example-site.test/a\x00b"}, "events[0].url"),
        ({"properties": {"title": "a\x00b"}}, "events[0].properties"),
        ({"properties": {"title": "\udfff"}}, "events[0].properties"),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "events[0].occurred_at"),
        ({"occurred_at": "9999-12-31T23:59:59-14:00"}, "events[0].occurred_at"),
    ],
    ids=["surrogate-url", "nul-url", "nul-property", "surrogate-property", "year-1", "year-9999"],
)
def test_unstorable_values_are_a_422_naming_the_field(webapp, fields, field):
    visitor = new_visitor()
    # json.dumps writes the lone surrogate as the escape "\ud800", as an attacker would.
    response = post(webapp, {"visitor_id": visitor, "events": [an_event(**fields)]})
    assert response.status_code == 422, response.text
    assert field in error_fields(response)
    assert stored(webapp, visitor) == []


def test_a_number_too_large_for_a_float_is_a_400_not_infinity(webapp):
    visitor = new_visitor()
    event = (
        '{"id": "e-00000000-1e400", "type": "pricing_view", "url": "https://x.test/pricing",'
        ' "occurred_at": "2999-01-01T00:00:00Z", "properties": {"seats": 1e400}}'
    )
    body = f'{{"visitor_id": "{visitor}", "events": [{event}]}}'
    response = post(webapp, body)
    assert response.status_code == 400, response.text
    assert "too large" in response.json()["errors"][0]["problem"]
    assert stored(webapp, visitor) == []
