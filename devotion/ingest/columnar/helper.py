"""HELPER"""

from __future__ import annotations

import contextlib
import csv
import gc
import itertools
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from devotion.ingest.columnar.prepare import NotFast, prepare
from devotion.ingest.columnar.scan import Chunk, ColumnarFile, _first_line
from devotion.ingest.lines import put_back_breaks, stand_in_breaks
from devotion.ingest.reader import Record
from devotion.people.spend import Rates


def serve_chunks(
    path: str, now: datetime, chunk_orders: int, spill: str, rates: Rates, conn: Any
) -> None:
    """Body of the helper process: "unfit", or each chunk then "done". ``rates``: the
    importing process's reporting currency and rates (its settings, not this process's)."""
    # Everything made here lives for one chunk and is freed by reference counting: see
    # reader._child.
    gc.freeze()
    gc.disable()
    try:
        source = ColumnarFile(Path(path), now=now, spill=spill)
        source.rates = rates
        try:
            if not source.load():
                conn.send(("unfit", None))
                return
            for chunk in list(source.chunks(chunk_orders)):
                prepared = None
                source.check(chunk)
                if chunk.clean:
                    with contextlib.suppress(NotFast):  # None: the general path takes it
                        prepared = prepare(source, chunk)
                conn.send(("chunk", (chunk, prepared)))
                del prepared
                gc.collect(0)
            conn.send(("done", None))
        finally:
            source.close()
    except BaseException as exc:  # every failure is reported to the importing process
        conn.send(("crashed", "".join(traceback.format_exception(exc)).strip()))
    finally:
        conn.close()


class FileRows:
    """The rows of a file that passed :meth:`ColumnarFile.load` (one physical line each),
    read again as the general path reads them, for the chunks it takes. Chunks are asked for
    in file order, so one pass over the file serves them all."""

    def __init__(self, path: Path) -> None:
        self.header, self.delimiter = _first_line(path)
        self.names = [name.strip().lower() for name in self.header]
        # Lines end at LF only, as the scan counted them: a CR inside a quoted cell must not
        # start a new one (newline="" would split there and read every later row shifted).
        self._file = path.open(encoding="utf-8-sig", newline="\n")
        self._next = 0  # the data row the file is at (0-based)
        next(self._file)  # the header

    def close(self) -> None:
        self._file.close()

    def records(self, chunk: Chunk) -> list[Record]:
        """The chunk's rows: line number, row dict and cells."""
        if chunk.first_row < self._next:
            raise ValueError("chunks must be read in file order")
        lines = itertools.islice(
            self._file, chunk.first_row - self._next, chunk.last_row + 1 - self._next
        )
        self._next = chunk.last_row + 1
        keys = self.names
        # One line is one row here; a line break left unquoted inside a cell stays in it,
        # as the general path reads it.
        read = [stand_in_breaks(line) for line in lines]
        rows = csv.reader((line for line, _ in read), delimiter=self.delimiter)
        records = []
        for n, ((_, stray), cells) in enumerate(
            zip(read, rows, strict=True), start=chunk.first_row
        ):
            cells = put_back_breaks(cells) if stray else cells
            records.append(Record([n + 2], [dict(zip(keys, cells, strict=True))], [cells]))
        return records


__all__ = ["FileRows", "serve_chunks"]
