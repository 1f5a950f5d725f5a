"""The fast lane for large, clean order files in Devotion's own CSV columns.

A million-row orders file through the general path costs ~45 µs a row to read, map and
validate in Python and as much again to store. Here DuckDB reads and checks the whole file
column by column first (about 1.5 µs a row, on every core). A helper process then reads
each clean chunk's lines again (plain Python: the check proved what they hold), prepares its
orders per customer (see :class:`Prepared`) while the importer stores the one before with a
handful of statements and a little Python per customer.

The lane is exact or it is not taken. It only handles what it can prove gives the same result
as :func:`~devotion.ingest.events.validate_event` and ``ingest``:

- the file: generic source, orders, CSV whose columns are all in :data:`COLUMNS`, UTF-8, one
  physical line per row (no blank lines, no line breaks inside quotes), readable by DuckDB as
  a strict CSV; and no webhook subscriber wants ``person.created`` or ``touchpoint.created``;
- a row: plain ASCII where Python and DuckDB could case or trim differently, no whitespace
  but spaces, values within their limits in bytes, dates in plain ISO 8601 form, money with
  at most two decimals (see :meth:`ColumnarFile._check`);
- a chunk: every row passes, no order is stored already or repeated, and no customer links
  two existing people (which would merge them).

Anything else — a chunk with one doubtful row, a re-import, a merge — goes through the general
path (the same mapping, validation, rejects report and ``ingest``), chunk by chunk in file
order, so the outcome is what the general path gives with the same transaction boundaries;
only the speed differs. ``tests/test_import_columnar.py`` checks this on messy files.

The lane is a package of four steps: :mod:`.scan` (DuckDB loads and checks the file),
:mod:`.prepare` (a clean chunk worked out per customer in the helper process), :mod:`.store`
(the importer resolves and writes it) and :mod:`.helper` (the helper process's loop, started
through :mod:`.child`, which sets Django up before anything that needs it is imported).
This file imports none of them, so that a spawned helper can load :mod:`.child` before
Django is set up: import the step you use (``from devotion.ingest.columnar import store``).
"""
