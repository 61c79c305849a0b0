"""appconfig.visitor_proof: a visitor id's proof holds only for that id, that key and its lifetime."""

from __future__ import annotations

import pytest

from appconfig.visitor_proof import body_signed, issue, new_visitor_id, proves, sign_body, verify

KEY = "k" * 43
DAY = 86400.0
NOW = 1_800_000_000.0


def test_a_proof_names_its_id_and_verifies_with_its_key():
    proof = issue(KEY, "visitor-0001", now=NOW)
    assert proof.value.startswith("visitor-0001.1800000000.")
    found = verify(proof.value, KEY, 60 * DAY, now=NOW + DAY)
    assert (found.visitor_id, found.issued_at) == ("visitor-0001", 1_800_000_000)
    assert proves(proof.value, "visitor-0001", KEY, 60 * DAY, now=NOW)
    assert not proves(proof.value, "visitor-0002", KEY, 60 * DAY, now=NOW)


def test_a_fresh_id_is_random():
    first, second = issue(KEY, now=NOW), issue(KEY, now=NOW)
    assert first.visitor_id != second.visitor_id
    assert len(new_visitor_id()) == 36


@pytest.mark.parametrize(
    "tamper",
    [
        lambda value: "visitor-0002" + value[len("visitor-0001") :],  # another id, same mac
        lambda value: value.replace(".1800000000.", ".1800000999."),  # a later issue time
        lambda value: value[:-1] + ("A" if value[-1] != "A" else "B"),  # one character of the mac
        lambda value: value.rsplit(".", 1)[0],  # no mac
        lambda value: value + ".x",
        lambda value: "visitor-0001",  # the bare id, as the old cookie held it
        lambda value: value.replace(".", "é", 1),
    ],
)
def test_a_tampered_proof_is_refused(tamper):
    value = issue(KEY, "visitor-0001", now=NOW).value
    assert verify(tamper(value), KEY, 60 * DAY, now=NOW) is None


@pytest.mark.parametrize("junk", [None, 42, "", "..", "a.b.c", "x" * 1000, ["visitor-0001"]])
def test_junk_is_no_proof(junk):
    assert verify(junk, KEY, 60 * DAY, now=NOW) is None


def test_another_key_is_refused():
    value = issue(KEY, "visitor-0001", now=NOW).value
    assert verify(value, "another-key-" + "x" * 30, 60 * DAY, now=NOW) is None


def test_an_expired_proof_is_refused_and_one_from_the_future_too():
    value = issue(KEY, "visitor-0001", now=NOW).value
    assert verify(value, KEY, 30 * DAY, now=NOW + 30 * DAY) is not None
    assert verify(value, KEY, 30 * DAY, now=NOW + 30 * DAY + 1) is None
    assert verify(value, KEY, 30 * DAY, now=NOW - 3600) is None


def test_only_visitor_ids_get_proofs():
    with pytest.raises(ValueError):
        issue(KEY, "../../x")


def test_a_server_signature_covers_the_whole_body():
    body = b'{"visitor_id": "visitor-0001", "events": []}'
    signature = sign_body(body, "server-secret")
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert body_signed(body, signature, "server-secret")
    assert not body_signed(body + b" ", signature, "server-secret")
    assert not body_signed(body, signature, "another-secret")
    assert not body_signed(body, None, "server-secret")
    assert not body_signed(body, signature, "")
    assert not body_signed(body, "sha256=é", "server-secret")
