"""Pluggable sources: one module per system whose exports Devotion imports.

Each module declares ``NAME``, ``LABEL`` and ``MAPPERS`` (import kind -> :class:`Mapper`).
To add a source, see "Add a source" in CONTRIBUTING.md: a module here, an entry in ``SOURCES``,
a sample under ``docs/samples/``, a table in ``docs/import.md`` and a test.
"""

from __future__ import annotations

from types import ModuleType

from devotion.ingest.sources import generic, shopify, stripe, trustpilot, zendesk
from devotion.ingest.sources.base import EVENT_KIND, IMPORT_KINDS, Mapper

SOURCES: dict[str, ModuleType] = {
    module.NAME: module for module in (generic, shopify, stripe, zendesk, trustpilot)
}


class UnknownMapping(ValueError):
    """The kind or source does not exist, or the source has no export of that kind."""


def get_mapper(source: str, kind: str) -> Mapper:
    """The mapper for ``kind`` files from ``source``, or :class:`UnknownMapping` saying why.

    >>> get_mapper("shopify", "orders").group_by
    'name'
    >>> get_mapper("stripe", "reviews")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    UnknownMapping: stripe has no reviews export; it supports: orders, customers
    """
    if kind not in EVENT_KIND:
        raise UnknownMapping(f"unknown kind {kind!r}; use one of: {', '.join(IMPORT_KINDS)}")
    module = SOURCES.get(source)
    if module is None:
        raise UnknownMapping(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}")
    mapper = module.MAPPERS.get(kind)
    if mapper is None:
        raise UnknownMapping(
            f"{source} has no {kind} export; it supports: {', '.join(module.MAPPERS)}"
        )
    return mapper


def supported() -> list[tuple[str, str, list[str]]]:
    """(name, label, kinds) for every source, for forms and help texts."""
    return [(name, module.LABEL, list(module.MAPPERS)) for name, module in SOURCES.items()]


__all__ = ["IMPORT_KINDS", "SOURCES", "Mapper", "UnknownMapping", "get_mapper", "supported"]
