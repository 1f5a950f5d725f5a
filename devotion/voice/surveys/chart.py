"""The score-over-time chart as inline SVG: drawn on the server, no script, no CDN.

Each point is a period's score; the number of answers behind it is printed under the axis and
in the point's tooltip, so a swing on three answers reads as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from devotion.voice.surveys.scales import Point, Scale

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 66, 16, 24, 60


def score_chart(scale: Scale, points: Sequence[Point], period: str) -> SafeString:
    """An SVG line chart of ``points`` on ``scale``'s score range (empty string for no points)."""
    if not points:
        return mark_safe("")
    low, high = scale.score_range
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(scale.label)} score per {period}" xmlns="http://www.w3.org/2000/svg">'
    ]
    # Grid: the ends of the range and the middle (0 for NPS).
    for value in (low, (low + high) / 2, high):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(scale.format(value))}</text>'
        )
    line = " ".join(f"{x(i):.1f},{y(p.score):.1f}" for i, p in enumerate(points))
    parts.append(f'<polyline class="line" points="{line}"/>')
    # Label at most ~12 periods so a long history stays readable on a phone.
    every = max(1, (len(points) + 11) // 12)
    for i, p in enumerate(points):
        when = p.start.strftime("%-d %b" if period == "week" else "%b %Y")
        answers = f"{p.count} answer{'s' if p.count != 1 else ''}"
        tip = f"{period.title()} of {p.start.isoformat()}: {scale.format(p.score)} from {answers}"
        parts.append(
            f'<circle class="dot" cx="{x(i):.1f}" cy="{y(p.score):.1f}" r="4">'
            f"<title>{escape(tip)}</title></circle>"
        )
        if i % every == 0 or i == len(points) - 1:
            # The first and last labels lean inwards, so none is cut at the edge.
            anchor = "middle"
            if len(points) > 1 and i == 0:
                anchor = "start"
            elif len(points) > 1 and i == len(points) - 1:
                anchor = "end"
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="{anchor}">{escape(when)}</text>'
                f'<text class="count" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 40}" '
                f'text-anchor="{anchor}">n={p.count}</text>'
            )
    parts.append("</svg>")
    # Every value above is escaped or a number.
    return mark_safe("".join(parts))
