"""CSV that spreadsheets cannot run: every cell Devotion writes goes through here.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` in a customer's name runs when a
manager opens the export). Following OWASP's advice such a cell gets a leading apostrophe,
which spreadsheets show as text and do not display. Numbers Devotion writes itself
(amounts, counts) are passed as ``int``/``Decimal`` and left alone, so ``-12.50`` stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: object) -> object:
    """The cell as written: text that a spreadsheet would run gets a leading apostrophe.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("+1 415"), neutralise("@SUM(A1)")
    ('\\'=HYPERLINK("http://x")', "'+1 415", "'@SUM(A1)")
    >>> neutralise("-2+3"), neutralise("\\tx"), neutralise("\\rx"), neutralise("Ada")
    ("'-2+3", "'\\tx", "'\\rx", 'Ada')
    >>> neutralise(-12), neutralise(Decimal("-1.50")), neutralise(None)
    (-12, Decimal('-1.50'), None)
    """
    if isinstance(value, bool | int | float | Decimal) or value is None:
        return value
    text = str(value)
    if text.startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


class SafeWriter:
    """A ``csv.writer`` whose every text cell is neutralised.

    >>> import io
    >>> out = io.StringIO()
    >>> writer = SafeWriter(out)
    >>> writer.writerow(["name", "amount"])
    >>> writer.writerow(["=cmd|' /C calc'!A0", Decimal("-5.00")])
    >>> print(out.getvalue(), end="")
    name,amount
    '=cmd|' /C calc'!A0,-5.00
    """

    def __init__(self, out: _Writable, **fmtparams: Any) -> None:
        fmtparams.setdefault("lineterminator", "\n")
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class _Line:
    """A file-like that keeps the last thing written, to stream CSV one line at a time."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterable[str]:
    """Each row as one neutralised CSV line, for a streaming response.

    >>> list(csv_lines([["a", "-b"], [1, None]]))
    ["a,'-b\\n", '1,\\n']
    """
    line = _Line()
    writer = SafeWriter(line)
    for row in rows:
        writer.writerow(row)
        yield line.text
