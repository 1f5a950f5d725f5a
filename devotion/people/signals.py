"""Signals of the people app: ``merged`` is sent after a merge commits.

People (like storage, which merges during imports) imports nobody downstream: webhooks and
later apps connect to these in their ``AppConfig.ready()``.
"""

from __future__ import annotations

from django.dispatch import Signal

merged = Signal()
"""Sent with ``merge``: the :class:`~devotion.people.models.Merge`, once its transaction
commits."""
