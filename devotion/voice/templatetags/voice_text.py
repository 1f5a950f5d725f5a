"""Template tags of the voice app for pages that show analyses (the customer timeline)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

from devotion.nlp.topics import LABELS

register = template.Library()


@register.simple_tag
def voice_topic_options() -> str:
    """The ``<datalist>`` of topics the correction forms offer (no query: the listed ones;
    a person may type a new one)."""
    return format_html(
        '<datalist id="voice-topics">{}</datalist>',
        format_html_join("", '<option value="{}">', ((label,) for label in LABELS)),
    )
