"""Charts as inline SVG, rendered on the server: no JavaScript library, nothing from a CDN.

The drawing is 360 units wide, so on a 390 px phone one unit is about one pixel and the
11-unit labels stay readable; on a wide screen the stylesheet caps the chart's width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 360, 210
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 16, 30
INK, GRID, ACCENT, FAINT = "#374151", "#e5e7eb", "#4f46e5", "#a5b4fc"


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a label and a value per x position (None where it has no value)."""

    label: str
    values: Sequence[float | None]
    emphasis: bool = False


def _frame(title: str, body: list[str]) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">'
        "<title>{}</title>{}</svg>",
        WIDTH,
        HEIGHT,
        title,
        title,
        mark_safe("".join(body)),  # built from escaped parts below
    )


def nice_top(value: float, *, ticks: int = 4, whole: bool = True) -> float:
    """The smallest top for a y axis at or above ``value`` whose ``ticks`` steps are round
    numbers (1, 2, 2.5 or 5 times a power of ten; whole numbers when ``whole``).

    >>> nice_top(787), nice_top(56), nice_top(101), nice_top(3), nice_top(0.9, whole=False)
    (800, 60, 120, 4, 1.0)
    """
    if value <= 0:
        return 1.0
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * magnitude >= raw)
    if whole and step != int(step):
        step = math.ceil(step)
    top = step * ticks
    return int(top) if whole else top


def _y_axis(top_value: float, percent: bool, ticks: int = 4) -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(ticks + 1):
        value = top_value * i / ticks
        y = TOP + plot_h - plot_h * i / ticks
        text = f"{value:.0%}" if percent else f"{value:,.0f}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="12" fill="{INK}" '
            f'text-anchor="end">{escape(text)}</text>'
        )
    return parts


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    top_value: float = 1.0,
    percent: bool = True,
) -> SafeString:
    """Lines over shared x positions (faint ones, and emphasised ones drawn last).

    >>> svg = line_chart("Retention", ["M0", "M1"], [Series("all", [1.0, 0.4], True)])
    >>> svg.startswith("<svg") and "polyline" in svg and "Retention" in svg
    True
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(x_labels), 2)
    top_value = top_value or 1.0

    def x(i: int) -> float:
        return LEFT + plot_w * i / (count - 1)

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * min(v, top_value) / top_value

    body = _y_axis(top_value, percent)
    step = max(1, len(x_labels) // 6)
    for i, label in enumerate(x_labels):
        last = i == len(x_labels) - 1
        # Every step-th label, and the last one (a stepped label right before it is dropped).
        if last or (i % step == 0 and len(x_labels) - 1 - i >= (step + 1) // 2):
            # The last label ends at the right edge instead of running past it.
            anchor = "end" if last and len(x_labels) > 1 else "middle"
            body.append(
                f'<text x="{x(i) + (4 if anchor == "end" else 0):.1f}" y="{HEIGHT - BOTTOM + 14}" '
                f'font-size="12" fill="{INK}" text-anchor="{anchor}">{escape(label)}</text>'
            )
    for line in sorted(series, key=lambda s: s.emphasis):
        points = " ".join(
            f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.values) if v is not None
        )
        if not points:
            continue
        colour, width = (ACCENT, 2.5) if line.emphasis else (FAINT, 1)
        body.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" '
            f'points="{points}"><title>{escape(line.label)}</title></polyline>'
        )
    return _frame(title, body)


def bar_chart(
    title: str, bars: Sequence[tuple[str, float, str]], *, percent: bool = False
) -> SafeString:
    """Vertical bars: (label under the bar, value, text above the bar).

    >>> "rect" in bar_chart("Stay", [("1st", 120, "120 d"), ("2nd", 60, "60 d")])
    True
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    highest = max((v for _, v, _ in bars), default=0)
    # Room above the tallest bar for its label, on a round axis.
    top_value = nice_top(highest * 1.12, whole=not percent) if highest > 0 else 1.0
    body = _y_axis(top_value, percent)
    slot = plot_w / max(len(bars), 1)
    for i, (label, value, note) in enumerate(bars):
        h = plot_h * value / top_value
        left = LEFT + slot * i + slot * 0.2
        body.append(
            f'<rect x="{left:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{h:.1f}" fill="{ACCENT}" rx="2"><title>{escape(label)}: '
            f"{escape(note)}</title></rect>"
            f'<text x="{left + slot * 0.3:.1f}" y="{TOP + plot_h - h - 4:.1f}" font-size="12" '
            f'fill="{INK}" text-anchor="middle">{escape(note)}</text>'
            f'<text x="{left + slot * 0.3:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="12" '
            f'fill="{INK}" text-anchor="middle">{escape(label)}</text>'
        )
    return _frame(title, body)


def calibration_chart(title: str, points: Sequence[tuple[float, float, int]]) -> SafeString:
    """Predicted against observed share, both 0-100 %: one dot per risk band (sized by its
    people), and the diagonal a perfectly calibrated model would sit on.

    >>> svg = calibration_chart("Calibration", [(0.1, 0.12, 40), (0.7, 0.6, 10)])
    >>> svg.count("<circle") == 2 and "<line" in svg
    True
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(v: float) -> float:
        return LEFT + plot_w * min(max(v, 0.0), 1.0)

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * min(max(v, 0.0), 1.0)

    body = _y_axis(1.0, True)
    for i in range(5):
        anchor = "end" if i == 4 else "middle"  # 100 % stays inside the drawing
        body.append(
            f'<text x="{x(i / 4):.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="12" fill="{INK}" '
            f'text-anchor="{anchor}">{i * 25}%</text>'
        )
    body.append(
        f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(1):.1f}" y2="{y(1):.1f}" '
        f'stroke="{FAINT}" stroke-width="1.5" stroke-dasharray="4 3"/>'
    )
    most = max((count for _, _, count in points), default=1) or 1
    ordered = sorted(points)
    if len(ordered) > 1:
        line = " ".join(f"{x(p):.1f},{y(o):.1f}" for p, o, _ in ordered)
        body.append(f'<polyline fill="none" stroke="{ACCENT}" stroke-width="1.5" points="{line}"/>')
    for predicted, observed, count in ordered:
        radius = 3 + 5 * (count / most) ** 0.5
        note = f"predicted {predicted:.0%}, observed {observed:.0%}, {count:,} people"
        body.append(
            f'<circle cx="{x(predicted):.1f}" cy="{y(observed):.1f}" r="{radius:.1f}" '
            f'fill="{ACCENT}" fill-opacity="0.75"><title>{escape(note)}</title></circle>'
        )
    return _frame(title, body)
