"""Signals of the people app: ``merging`` and ``unmerging`` inside a merge's or an undo's
transaction, ``merged`` after a merge commits.

People (like storage, which merges during imports) imports nobody downstream: webhooks and
later apps connect to these in their ``AppConfig.ready()``.
"""

from __future__ import annotations

from django.dispatch import Signal

merged = Signal()
"""Sent with ``merge``: the :class:`~devotion.people.models.Merge`, once its transaction
commits."""

merging = Signal()
"""Sent with ``winner``, ``loser`` and ``snapshot`` inside the merge's transaction, after the
people app moved its own rows: a receiver moves the loser's rows of its app to the winner and
records their ids in ``snapshot`` under its own key (the :class:`~devotion.people.models.Merge`
keeps it), so that ``unmerging`` can put exactly those back."""

unmerging = Signal()
"""Sent with ``merge`` (its ``snapshot`` as ``merging`` receivers left it) inside the undo's
transaction: a receiver moves back to ``merge.loser`` what it recorded."""
