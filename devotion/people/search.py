"""Finding people by name, e-mail, phone or source id, fast on millions of rows.

Every branch is an index range scan: prefix matches are written as ``value >= q AND value < q'``
(where q' is q with its last character bumped), which both SQLite and PostgreSQL answer from a
plain B-tree index, unlike ``LIKE 'q%'`` under a case-insensitive collation.
"""

from __future__ import annotations

import unicodedata

from django.db.models import Q, QuerySet
from django.db.models.functions import Substr

from devotion.lib.normalize import normalize_phone
from devotion.people.models import Identity, Person

MAX_MATCHES = 500
# Above this many name matches, reading them all to sort by last activity costs more than
# walking the last-activity index and keeping the rows whose name matches (see _by_name).
DENSE_MATCHES = 5000
# No stored name key (300) or identity value (320) is longer, so a longer query matches nothing.
MAX_QUERY_LENGTH = 320
_LAST_CODE_POINT = "\U0010ffff"


def clean_query(query: str) -> str:
    """The query as the indexes hold values: lower case, single spaces, no control characters
    (PostgreSQL refuses NUL) and no lone surrogates (they cannot be encoded to send).

    >>> clean_query("  Ada" + chr(0) + " LOVE" + chr(0xD800) + "lace ")
    'ada love lace'
    """
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in query.lower())
    return " ".join(kept.split())


def prefix_range(field: str, prefix: str) -> Q:
    """A Q matching values of ``field`` that start with ``prefix``, as an index range.

    Values compare by code point (SQLite's BINARY, the collation "C" on PostgreSQL), so the
    upper bound is the prefix with its last character bumped. U+10FFFF has no successor:
    everything starting with "abU+10FFFF" also starts with "ab", so it is dropped first; a
    prefix made only of it has no upper bound. Surrogates cannot be stored, so the successor
    of U+D7FF is U+E000.

    >>> prefix_range("name_key", "ada")
    <Q: (AND: ('name_key__gte', 'ada'), ('name_key__lt', 'adb'))>
    """
    lower = Q(**{f"{field}__gte": prefix})
    stem = prefix.rstrip(_LAST_CODE_POINT)
    if not stem:
        return lower
    successor = ord(stem[-1]) + 1
    if 0xD800 <= successor <= 0xDFFF:
        successor = 0xE000
    return lower & Q(**{f"{field}__lt": stem[:-1] + chr(successor)})


def _identity_people(q: Q) -> list[int]:
    return list(
        Identity.objects.filter(q).values_list("person_id", flat=True).distinct()[:MAX_MATCHES]
    )


def search_people(query: str) -> QuerySet[Person]:
    """Live people matching ``query``: a name prefix (first or last name), an e-mail prefix
    (with or without its "@"), a phone number (any common format) or an exact id in a source
    system. Any string is safe to pass: control characters and lone surrogates are dropped.

    The result is unordered; callers sort it (usually by ``-last_activity_at``).
    """
    people = Person.objects.live()
    text = clean_query(query)
    if not text:
        return people
    if len(text) > MAX_QUERY_LENGTH:
        return people.none()
    email = Q(kind="email") & prefix_range("value", text)
    if "@" in text:
        return people.filter(pk__in=_identity_people(email))
    digits = sum(ch.isdigit() for ch in text)
    # Source ids are exact and case-sensitive: the query as typed, minus what cannot be stored.
    external_id = " ".join(
        "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in query).split()
    )
    external = Q(kind="external", value=external_id)
    if digits >= 6 and digits >= len(text.replace(" ", "")) - 4:
        ids = _identity_people(external)
        phone = normalize_phone(text)
        if phone:
            ids += _identity_people(Q(kind="phone") & prefix_range("value", phone))
        return people.filter(pk__in=ids)
    # One look-up (two index ranges) for an exact source id or an e-mail prefix typed before
    # its "@"; e-mails hold no spaces.
    ids = _identity_people(external | email if " " not in text else external)
    by_name = _by_name(people, text)
    if ids:
        return people.filter(pk__in=ids) | by_name
    return by_name


def _by_name(people: QuerySet[Person], text: str) -> QuerySet[Person]:
    """People whose first or last name starts with ``text``, planned for how many there are.

    A rare prefix ("zoltan") is answered from the name indexes and its few matches sorted.
    A common one ("mar" matches thousands) is better answered by walking people in the
    order the list wants and keeping the matches, which reaches a page of 50 after reading a
    few thousand rows. The condition is written so no index can serve it (a substring
    comparison), which leaves the database the last-activity index to walk.
    """
    ranges = [prefix_range("name_key", text), prefix_range("name_key_rev", text)]
    # Counted on the name indexes alone (merged people included), so no row is read.
    matches = sum(
        Person.objects.filter(condition).values("pk")[:DENSE_MATCHES].count()
        for condition in ranges
    )
    if matches < DENSE_MATCHES:
        return people.filter(ranges[0] | ranges[1])
    size = len(text)
    return people.annotate(
        _first=Substr("name_key", 1, size), _last=Substr("name_key_rev", 1, size)
    ).filter(Q(_first=text) | Q(_last=text))
