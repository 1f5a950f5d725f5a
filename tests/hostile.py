"""Hostile values for the property tests: what customers' files and API clients really send.

Shared by the property tests (tests/test_api_event_properties.py; importer property tests to come)
(event fields). Each list names a family of input that crashed an import or a batch once.
"""

from __future__ import annotations

from hypothesis import strategies as st

CONTROL = ["\x00", "a\x00b", "\x1b[2J", "\x07bell", "\x7f", "tab\there", "\u2028", "\x85", "\x0c"]
# Lone surrogates: written to a file with surrogatepass they become invalid UTF-8 bytes.
SURROGATES = ["\ud800", "half \udfff a pair", "\udcff"]
NUMBERS = [
    "1e400", "-1e-400", "99999999999999999999999999", "0.0000000001", "-0", "NaN", "Infinity",
    "-inf", "1,234.50", "12,34,5", "1.234,50", "\u20ac12,50", "$-0.00", "0x1F", "1_000", "٣",
    "12 345", "(5.00)", "1e3", "-99999999999.99",
]  # fmt: skip
DATES = [
    "0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1899-12-31",
    "1900-01-01", "2025-02-30", "2025-13-01", "2025-03-08T24:00:00Z", "2025-03-09T10:00+24:00",
    "2025-03-01 10:22:33 -0500", "2025-03-01T10:22:33Z", "2025-03-01 10:22:33 UTC",
    "1700000000", "03/01/2025", "+275760-09-13", "2025-W10-1", "2025-03-01T10:22:33.1234567Z",
    "tomorrow", "2099-01-01", "2025-03-01T10:22:33+05:45",
]  # fmt: skip
QUOTES = ['"', 'ab"c', '"abc', 'x""y', "'", "\\", '"\n"']
FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example")', "+33 1 23", "-5", "@SUM(A1)", "\t=x"]
LINE_BREAKS = ["two\nlines", "cr\ronly", "crlf\r\nin cell", "\n", "\r"]
ODD = [
    "", " ", "   padded   ", "\ufeff", "\u200b", "Zoë Ångström", "😀" * 3, "\U0010ffff",
    "<script>alert(1)</script>", "'; DROP TABLE people;--", "a,b;c\td|e", "NULL", "None",
    "x@y", "ada@example.com", "+44 20 7946 0000", "US", "usd", "true", "0", "-1", "11",
]  # fmt: skip

hostile_text = st.one_of(
    st.sampled_from(CONTROL + SURROGATES + NUMBERS + DATES + QUOTES + FORMULAS + LINE_BREAKS + ODD),
    st.datetimes().map(lambda value: value.isoformat()),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(max_size=12),  # any code point, surrogates included
    st.builds(lambda char, n: char * n, st.sampled_from("x\x00é😀"), st.sampled_from([300, 5_000])),
)
# Cells over the csv module's default field limit (131,072 characters): few, as they are slow.
very_long = st.sampled_from(["y" * 140_000, "=" + "z" * 200_000])
