"""What kind of file an import was given: its format (CSV or JSON lines), its delimiter and
its text encoding, read from its name and first bytes. No Django."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import BinaryIO


class ImportFailed(Exception):
    """The file cannot be imported at all; the message says what to do about it."""


FORMATS = ("csv", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_DELIMITERS = (",", ";", "\t")
NOT_UTF8 = "line is not UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)"
# How each encoding the reader may choose is named to a person.
ENCODING_LABELS = {"utf-8": "UTF-8", "cp1252": "Windows-1252 (Latin-1)"}


def detect_format(path: Path, fmt: str | None = None) -> str:
    """``csv`` or ``jsonl``: as given, else from the file extension.

    >>> detect_format(Path("events.ndjson"))
    'jsonl'
    """
    if fmt:
        if fmt not in FORMATS:
            raise ImportFailed(f"unknown format {fmt!r}; use csv or jsonl")
        return fmt
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ImportFailed(
            f"cannot tell the format of {path.name} from its extension; "
            "name it .csv or .jsonl, or pass --format csv|jsonl"
        )
    return found


def delimiter_of(first_line: str) -> str:
    """The delimiter the header line uses most: comma, semicolon (European Excel) or tab.

    >>> delimiter_of("Name;Email;Total"), delimiter_of("a\\tb"), delimiter_of("id")
    (';', '\\t', ',')
    """
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def detect_encoding(path: Path) -> str:
    """``utf-8`` for UTF-8 text (with or without a byte-order mark), else ``cp1252``: what
    Excel and older systems write on Windows, a superset of printable Latin-1.

    A file with valid UTF-8 beyond ASCII stays UTF-8 even where some lines are not (those
    lines are rejected one by one): it was written as UTF-8 and then damaged. One quick pass
    over the bytes (about 1 s per GB).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen_beyond_ascii = False
    with open_file(path) as raw:
        while block := raw.read(1 << 20):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                if seen_beyond_ascii or not block[: exc.start].isascii():
                    return "utf-8"
                # Damaged before its first accent: the rest tells (one damaged line must not
                # garble every later "é" as "Ã©").
                return "utf-8" if _utf8_after(block[exc.end :], raw) else "cp1252"
            seen_beyond_ascii = seen_beyond_ascii or not text.isascii()
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "utf-8" if seen_beyond_ascii else "cp1252"
    return "utf-8"


# A UTF-8 sequence for a character beyond ASCII (Windows-1252 text almost never has one: it
# would need, say, "Ã" followed by "©").
_UTF8_BEYOND_ASCII = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _utf8_after(start: bytes, raw: BinaryIO) -> bool:
    """Whether ``start`` and what is left of ``raw`` hold a UTF-8 character beyond ASCII."""
    tail = b""
    block = start
    while block:
        if _UTF8_BEYOND_ASCII.search(tail + block):
            return True
        tail, block = block[-3:], raw.read(1 << 20)
    return False


def open_file(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from None
