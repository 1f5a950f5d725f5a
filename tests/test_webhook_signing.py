"""Signatures on webhook deliveries: receivers can verify them, tampering is caught."""

from __future__ import annotations

from devotion.lib import signing

SECRET = "whsec_test-secret"
BODY = b'{"id":"e1","event":"ping","data":{}}'


def test_a_signature_verifies_with_the_same_secret_and_body():
    header = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert signing.verify(SECRET, header, BODY, now=1_700_000_010)


def test_it_rejects_a_changed_body():
    header = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    assert not signing.verify(SECRET, header, BODY.replace(b"ping", b"pong"), now=1_700_000_000)


def test_it_rejects_another_secret():
    header = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    assert not signing.verify("whsec_other", header, BODY, now=1_700_000_000)


def test_it_rejects_a_changed_timestamp():
    header = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    forged = header.replace("t=1700000000", "t=1700000100")
    assert not signing.verify(SECRET, forged, BODY, now=1_700_000_100)


def test_it_rejects_an_old_signature_replayed_after_the_tolerance():
    header = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    assert not signing.verify(SECRET, header, BODY, now=1_700_000_301)
    assert signing.verify(SECRET, header, BODY, tolerance=600, now=1_700_000_301)


def test_it_rejects_malformed_headers():
    for header in ["", "garbage", "t=abc,v1=00", "v1=00", "t=1700000000"]:
        assert not signing.verify(SECRET, header, BODY, now=1_700_000_000)


def test_it_accepts_any_of_several_signatures_while_a_secret_rotates():
    good = signing.sign(SECRET, BODY, timestamp=1_700_000_000)
    header = "t=1700000000,v1=" + "0" * 64 + "," + good.split(",")[1]
    assert signing.verify(SECRET, header, BODY, now=1_700_000_000)


def test_the_headers_name_the_event_and_the_delivery():
    headers = signing.headers(SECRET, "ping", "abc123", BODY, timestamp=1_700_000_000)
    assert headers["Devotion-Event"] == "ping"
    assert headers["Devotion-Delivery"] == "abc123"
    assert signing.verify(SECRET, headers["Devotion-Signature"], BODY, now=1_700_000_000)
