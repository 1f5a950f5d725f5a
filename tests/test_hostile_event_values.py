"""Hostile values in an event (NUL bytes, control characters, dates outside any calendar we
store, ambiguous or unbounded amounts, unknown channels, fake e-mail addresses) are rejected
one event at a time, with a reason naming the field, never with an exception."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from devotion.ingest.events import Reject, validate_event
from devotion.people.models import Channel
from devotion.touchpoints import kinds


def _reason(event) -> str:
    with pytest.raises(Reject) as caught:
        validate_event(event)
    return str(caught.value)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("person", "name"), "person.name"),
        (("person", "email"), "person.email"),
        (("person", "external_id"), "person.external_id"),
        (("external_id",), "external_id"),
        (("source",), "source"),
        (("subject",), "subject"),
        (("text",), "text"),
        (("thread",), "thread"),
        (("staff",), "staff"),
        (("facts", "pet"), "facts.pet"),
        (("extra", "note"), "extra.note"),
        (("extra", "tags"), "extra.tags"),
    ],
)
def test_a_nul_byte_in_any_field_is_rejected_naming_the_field(make_event, path, field):
    event = make_event(subject="Hello", text="Hi", thread="t-1", staff="Sam", facts={}, extra={})
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = ["ok", "a\x00b"] if path[-1] == "tags" else "bad\x00value"
    assert _reason(event) == f"{field} contains a NUL byte (\\x00)"


def test_a_nul_byte_in_an_order_line_or_a_key_is_rejected(make_event):
    line = {"product_id": "SKU\x00", "quantity": 1, "unit_price": "2"}
    assert _reason(make_event(lines=[line])) == "lines[1].product_id contains a NUL byte (\\x00)"
    assert "NUL byte" in _reason(make_event(facts={"pe\x00t": "Rex"}))
    assert "NUL byte" in _reason(make_event(extra={"a\x00": 1}))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a\x1b[31mred", "contains a control character (U+001B)"),
        ("bell\x07", "contains a control character (U+0007)"),
        ("c1\x9b", "contains a control character (U+009B)"),
        ("half \ud800 of a pair", "contains a lone surrogate (U+D800), which is not text"),
    ],
)
def test_control_characters_and_lone_surrogates_are_rejected(make_event, value, reason):
    event = make_event(person={"email": "ada@example.com", "name": value})
    assert _reason(event) == f"person.name {reason}"


def test_tabs_line_ends_and_non_breaking_spaces_are_text(make_event):
    event = validate_event(
        make_event(text="Line one\r\n\tLine two", subject="Caf\u00e9\u00a0cr\u00e8me")
    )
    assert event.text == "Line one\r\n\tLine two"


def test_nan_and_infinite_numbers_in_extra_are_rejected(make_event):
    assert (
        _reason(make_event(extra={"score": float("nan")})) == "extra.score is not a finite number"
    )
    deep: dict = {}
    inner = deep
    for _ in range(20):
        inner["x"] = {}
        inner = inner["x"]
    assert _reason(make_event(extra=deep)) == "extra nests deeper than 10 levels"
    assert "more than 100000 characters" in _reason(make_event(extra={"big": "x" * 100_001}))


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1899-12-31", "0001-01-01"]
)
def test_a_date_out_of_range_is_rejected_with_the_allowed_range(make_event, value):
    assert _reason(make_event(occurred_at=value)) == (
        f"occurred_at {value!r} is a date out of range: allowed from 1900-01-01 to one day from now"
    )


def test_a_sign_up_date_out_of_range_is_rejected_too(make_event):
    event = {"kind": "customer", "source": "crm", "person": {"email": "ada@example.com"}}
    assert "date out of range" in _reason({**event, "occurred_at": "0001-01-01T00:00:00+14:00"})
    assert "date out of range" in _reason({**event, "occurred_at": "2999-01-01"})
    assert validate_event({**event, "occurred_at": "1900-01-01"}).occurred_at is not None


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1,234.50", "1234.50"),
        ("1,234", "1234.00"),
        ("12,50", "12.50"),
        ("1.234,50", "1234.50"),
        ("$1,234,567.89", "1234567.89"),
        (" 7 ", "7.00"),
        ("-0", "0.00"),
        ("-0.00", "0.00"),
        ("10.500", "10.50"),
        (12, "12.00"),
        (12.5, "12.50"),
    ],
)
def test_amounts_are_read_by_one_unambiguous_rule(make_event, written, read):
    amount = validate_event(make_event(amount=written)).amount
    assert amount == Decimal(read) and str(amount) == read


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("12,34,5", "is ambiguous"),
        ("1,23", None),  # a decimal comma: fine
        ("1,2345", "is ambiguous"),
        ("1,234,5", "is ambiguous"),
        ("10.505", "has more decimals than the currency allows (at most 2 decimals)"),
        ("NaN", "is not a finite number"),
        ("Infinity", "is not a finite number"),
        ("-inf", "is not a finite number"),
        ("1e400", "is not a plain number (no exponents like 1e3)"),
        ("1e3", "is not a plain number (no exponents like 1e3)"),
        (float("inf"), "is not a finite number"),
        (1e-7, "is not a plain number (no exponents like 1e3)"),
        ("1000000000000", "is out of range (at most 999,999,999,999.99)"),
        (10**30, "is out of range (at most 999,999,999,999.99)"),
        ("ten", "is not a number"),
    ],
)
def test_ambiguous_or_unbounded_amounts_are_rejected_naming_the_field(make_event, written, reason):
    if reason is None:
        assert validate_event(make_event(amount=written)).amount == Decimal("1.23")
        return
    assert _reason(make_event(amount=written)).startswith(f"amount {written!r} {reason}")


def test_amounts_may_not_have_more_decimals_than_their_currency(make_event):
    assert validate_event(make_event(amount="1500", currency="JPY")).amount == Decimal(1500)
    assert _reason(make_event(amount="1500.50", currency="JPY")) == (
        "amount '1500.50' has more decimals than the currency allows (no decimals)"
    )
    line = {"product_id": "SKU-1", "unit_price": "0.5"}
    assert _reason(make_event(amount=None, currency="JPY", lines=[line])).startswith(
        "lines[1].unit_price '0.5' has more decimals"
    )


def test_lines_that_add_up_beyond_what_an_amount_holds_are_rejected(make_event):
    line = {"product_id": "SKU-1", "quantity": 1_000_000, "unit_price": "999999999999"}
    event = make_event(lines=[line])
    del event["amount"]
    assert _reason(event) == "lines add up to more than 999,999,999,999.99: give the order's amount"


def test_an_unknown_channel_is_rejected_with_the_list_of_channels(make_event):
    assert _reason(make_event(channel="pigeon")) == (
        "channel 'pigeon' is not one of: email, phone, sms, chat, web, social, store, "
        "review_site, other (see docs/events.md for the other names accepted)"
    )


@pytest.mark.parametrize(
    ("written", "stored"),
    [("E-mail", "email"), ("WEB", "web"), ("pos", "store"), ("Instagram", "social"), ("", "")],
)
def test_common_channel_names_are_stored_as_the_channel_they_mean(make_event, written, stored):
    assert validate_event(make_event(channel=written)).channel == stored


def test_the_channel_list_is_the_one_the_profile_uses():
    assert list(kinds.CHANNELS.items()) == [(c.value, str(c.label)) for c in Channel]


@pytest.mark.parametrize(
    "address",
    [
        "<script>alert(1)</script>@example.com",
        "a b@example.com",
        "ada@example",
        "ada@@example.com",
        ".ada@example.com",
        "ada..l@example.com",
        "ada@-example.com",
        "ada@example.c",
        '"ada"@example.com',
        "ada@[127.0.0.1]",
        "a" * 65 + "@example.com",
        "ada@" + "a" * 64 + ".com",
    ],
)
def test_strings_that_are_not_e_mail_addresses_are_rejected(make_event, address):
    event = make_event(person={"email": address})
    assert _reason(event) == f"person.email {address!r} is not an e-mail address"


@pytest.mark.parametrize(
    "address",
    [
        "ada.lovelace+shop@example.co.uk",
        "o'brien@example.ie",
        "zoë@example.com",
        "a@xn--bcher-kva.de",
    ],
)
def test_real_addresses_are_accepted(make_event, address):
    assert validate_event(make_event(person={"email": address})).identities[0][0] == "email"


def test_json_escapes_that_decode_to_hostile_text_are_caught(make_event):
    event = json.loads(json.dumps(make_event()).replace("Ada Lovelace", "Ada\\u0000"))
    assert _reason(event) == "person.name contains a NUL byte (\\x00)"
    event = json.loads(json.dumps(make_event()).replace("Ada Lovelace", "Ada\\udc00"))
    assert "lone surrogate" in _reason(event)


def test_the_api_schema_offers_the_channel_list():
    from devotion.api.api import api

    channel = api.get_openapi_schema()["components"]["schemas"]["EventIn"]["properties"]["channel"]
    assert channel["anyOf"][0]["enum"] == list(kinds.CHANNELS)
    assert "e-mail (email)" in channel["description"]
