"""Which system's export a file looks like, from its column names against the sample exports
in docs/samples: for the hint that a user picked the wrong source. No Django."""

from __future__ import annotations

import csv
from pathlib import Path

from devotion.ingest.detect import delimiter_of
from devotion.ingest.sources import Mapper

# Samples of each export, whose headers tell which export a file looks like.
SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


# What sample_columns found, by mapper (the mapper is kept too, so its id stays its own):
# every CSV import asks for every export's columns, and reading each sample's header again
# took more than a small file's import stored.
_KNOWN: dict[int, tuple[Mapper, frozenset[str]]] = {}


def sample_columns(mapper: Mapper) -> frozenset[str]:
    """The columns ``mapper``'s export is known to have: its sample's header, its required
    columns and the columns it names in its reasons (lower-cased)."""
    cached = _KNOWN.get(id(mapper))
    if cached is not None and cached[0] is mapper:
        return cached[1]
    known = {name for names in mapper.required for name in names}
    for column in mapper.columns.values():
        known.update(part.strip().lower() for part in column.split("/"))
    sample = SAMPLES / mapper.sample if mapper.sample else None
    if sample is not None and sample.suffix == ".csv" and sample.is_file():
        with sample.open(encoding="utf-8-sig", newline="") as file:
            first = file.readline()
        cells = next(csv.reader([first], delimiter=delimiter_of(first)), [])
        known.update(cell.strip().lower() for cell in cells)
    _KNOWN[id(mapper)] = (mapper, frozenset(known))
    return _KNOWN[id(mapper)][1]


def _fit(source: str, mapper: Mapper, columns: set[str]) -> int:
    """How many of ``columns`` the export of ``mapper`` is known to have."""
    known = sample_columns(mapper)
    if source == "generic":
        from devotion.ingest.sources import generic

        known |= {*generic._PERSON, *generic._EVENT, *generic._ALIASES, *generic._LINE}
        prefixes = tuple(prefix for prefix, _ in generic._PREFIXES)
        return len(columns & known) + sum(1 for c in columns - known if c.startswith(prefixes))
    return len(columns & known)


def looks_like(columns: list[str]) -> tuple[str, str] | None:
    """The (source, kind) export a header with ``columns`` (lower-cased) most looks like:
    of the exports whose required columns it has, the one that knows most of its columns.

    >>> looks_like(["name", "email", "financial status", "lineitem name", "created at"])
    ('shopify', 'orders')
    >>> looks_like(["nothing", "known"]) is None
    True
    """
    from devotion.ingest.sources import SOURCES

    present = set(columns)
    best: tuple[tuple[int, int, bool], tuple[str, str]] | None = None
    for source, module in SOURCES.items():
        for kind, mapper in module.MAPPERS.items():
            if mapper.missing_columns(present):
                continue
            score = (_fit(source, mapper, present), len(mapper.required), source != "generic")
            if best is None or score > best[0]:
                best = (score, (source, kind))
    return best[1] if best is not None and best[0][0] else None


def suggestion(source: str, mapper: Mapper, columns: list[str]) -> tuple[str, str] | None:
    """The export to choose instead, when the file clearly looks like another one: most of
    its columns are that export's, and more of them than of the chosen one's."""
    from devotion.ingest.sources import get_mapper

    guess = looks_like(columns)
    if guess is None or guess == (source, mapper.kind):
        return None
    present = set(columns)
    theirs = _fit(guess[0], get_mapper(*guess), present)
    ours = _fit(source, mapper, present)
    if theirs > ours and theirs * 2 >= len(present) and ours * 2 < len(present):
        return guess
    return None


def export_label(source: str, kind: str) -> str:
    from devotion.ingest.sources import SOURCES

    return f"{SOURCES[source].LABEL.split(' (')[0]} {kind}"


def choose_hint(source: str, kind: str) -> str:
    from devotion.ingest.sources import SOURCES

    return f"{SOURCES[source].LABEL}, {kind.title()}"


def listed(names: list[str], most: int = 8) -> str:
    """At most ``most`` names, then how many more.

    >>> listed(["a", "b", "c"], 2)
    'a, b and 1 more'
    """
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more"
