"""Lines of an import file as the CSV reader must see them: classic Mac (CR) line ends split
right, line breaks a writer left unquoted inside a cell kept in their cell, and the checks
that tell a record spanning lines from a stray quote. No Django."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

# Where a line ends in a file with classic Mac line ends: after a CR, or after CR LF (a bare
# LF there is part of a quoted cell, not a line end).
_CR_LINE_END = re.compile(rb"(?<=\r)(?!\n)|(?<=\r\n)")


def cr_line_ends(first: bytes) -> bool:
    """Whether a file has classic Mac line ends (CR alone), told from its first line as far
    as the first LF (``first``): a CR before the end of it ends the header line.

    >>> cr_line_ends(b"a,b\\r\\n"), cr_line_ends(b"a,b\\n"), cr_line_ends(b'a,b\\r"c\\n')
    (False, False, True)
    """
    return b"\r" in first.rstrip(b"\n").rstrip(b"\r")


def split_lone_cr(raw: Iterable[bytes]) -> Iterator[bytes]:
    """The binary lines of ``raw`` split at the line ends the file uses: iterating a binary
    file splits only at LF, and a file with classic Mac line ends (CR alone, as Excel for Mac's
    "CSV (Macintosh)" writes) would otherwise be one line that the CSV reader refuses.

    >>> list(split_lone_cr([b"a,b\\rc,d\\r", b"e\\r\\n", b"\\r\\r"]))
    [b'a,b\\r', b'c,d\\r', b'e\\r\\n', b'\\r', b'\\r']

    In such a file an LF inside a quoted cell stays in its line (it ends no line there).

    >>> list(split_lone_cr([b'a,b\\r"c\\n', b'd",e\\r']))
    [b'a,b\\r', b'"c\\nd",e\\r']

    A file whose header ends in LF keeps a CR inside a quoted cell as it is.

    >>> list(split_lone_cr([b"a,b\\n", b'"c\\rd",e\\n']))
    [b'a,b\\n', b'"c\\rd",e\\n']
    """
    lines = iter(raw)
    first = next(lines, None)
    if first is None:
        return
    if not cr_line_ends(first):
        yield first
        yield from lines
        return
    pending = b""  # the start of a line that an LF (in a quoted cell) split
    for data in itertools.chain([first], lines):
        *ended, pending = _CR_LINE_END.split(pending + data)
        yield from ended
    if pending:
        yield pending


# A line break inside a line (not its end: a CR in a file with LF line ends, an LF in one
# with CR line ends) is part of a cell that its writer did not quote, as writers that quote
# only their own line end do (Python's csv module among them). The CSV reader would take it
# for the end of the row and refuse the rest ("new-line character seen in unquoted field"),
# so it reads a stand-in, put back in the cells afterwards (see :func:`stand_in_breaks`).
_STAND_INS = str.maketrans({"\r": "\ufdd0", "\n": "\ufdd1"})
_PUT_BACK = str.maketrans({"\ufdd0": "\r", "\ufdd1": "\n"})


class Lines:
    """The physical lines the CSV reader reads, remembering those of the record being read
    (``taken``), so that lines a stray quote swallowed can be read again (``push_back``).
    ``stray``: a line of the record being read had a line break inside it, read as a
    stand-in (:data:`_STAND_INS`): its cells need :func:`put_back_breaks`."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._again: list[tuple[str, bool]] = []
        self.taken: list[str] = []
        self._strays: list[bool] = []
        self.stray = False

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            line, stray = self._again.pop()
        else:
            line, stray = stand_in_breaks(next(self._lines))
        self.taken.append(line)
        self._strays.append(stray)
        self.stray = self.stray or stray
        return line

    def start_record(self) -> None:
        self.taken.clear()
        self._strays.clear()
        self.stray = False

    def push_back(self, first: int) -> None:
        """Read the record's lines from its ``first`` (0-based) again."""
        pairs = zip(self.taken[first:], self._strays[first:], strict=True)
        self._again.extend(reversed(list(pairs)))


def stand_in_breaks(line: str) -> tuple[str, bool]:
    r"""``line`` with the line breaks inside it (not its line end) read as stand-ins, and
    whether it had any. A line already holding a stand-in keeps its breaks.

    >>> stand_in_breaks("a,b\rc\n"), stand_in_breaks("a,b\r\n"), stand_in_breaks("a\nb\r")
    (('a,b\ufdd0c\n', True), ('a,b\r\n', False), ('a\ufdd1b\r', True))
    """
    end = len(line) - (2 if line.endswith("\r\n") else 1 if line.endswith(("\r", "\n")) else 0)
    if line.find("\r", 0, end) < 0 and line.find("\n", 0, end) < 0:
        return line, False
    if "\ufdd0" in line or "\ufdd1" in line:
        return line, False
    return line[:end].translate(_STAND_INS) + line[end:], True


def put_back_breaks(cells: list[str]) -> list[str]:
    """Cells read from lines with stand-ins, with their line breaks back."""
    return [cell.translate(_PUT_BACK) for cell in cells]


def well_formed(lines: list[str], dialect: Any) -> bool:
    r"""Whether ``lines`` (one record) are strict CSV: every quoted cell closes right before
    a delimiter or the line end.

    >>> well_formed(['1,"two\n', 'lines",3\n'], "excel")
    True
    >>> well_formed(['"-0,a\n', '"x"y,b\n'], "excel")
    False
    """
    try:
        for _ in csv.reader(lines, dialect, strict=True):
            pass
    except csv.Error:
        return False
    return True


def unclosed_quote(line: str, dialect: Any) -> int | None:
    r"""The index of the cell of ``line`` in which a quote opens and is not closed on that
    line, or None.

    >>> unclosed_quote('1,"Ada,ada@example.com\n', "excel"), unclosed_quote("1,2\n", "excel")
    (1, None)
    """
    parser = csv.reader([line], dialect, strict=True)
    try:
        next(parser, None)
    except csv.Error:
        cells = next(csv.reader([line], dialect), [])
        return max(len(cells) - 1, 0)
    return None
