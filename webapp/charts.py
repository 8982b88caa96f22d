"""Small server-side SVG charts (no JavaScript library, no CDN); every bar can link to its items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

KIND_COLOURS = {"problem": "#c62828", "achievement": "#2e7d32", "other": "#9e9e9e"}


@dataclass
class Bar:
    """One bar: its label, value, and the page listing the items behind it."""

    label: str
    value: float
    href: str = ""
    colour: str = "#1f5fa8"


def _link(href: str, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def bar_chart(bars: Sequence[Bar], *, width: int = 520, row: int = 24, label_width: int = 120) -> Markup:
    """Horizontal bars with their values; zero-length data gives an empty, labelled chart."""
    top = max((b.value for b in bars), default=0) or 1
    plot = width - label_width - 50
    height = row * len(bars) + 4
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img">']
    for i, bar in enumerate(bars):
        y = i * row + 2
        baseline = f"{y + row * 0.65:.0f}"
        length = max(0.0, bar.value) / top * plot
        label = escape(bar.label)
        parts.append(
            _link(
                bar.href,
                f'<text x="{label_width - 6}" y="{baseline}" text-anchor="end">{label}</text>'
                f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
                f'fill="{bar.colour}"><title>{label}：{bar.value:g}</title></rect>'
                f'<text x="{label_width + length + 4:.1f}" y="{baseline}">{bar.value:g}</text>',
            )
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(segments: Sequence[Bar], *, width: int = 520, height: int = 22) -> Markup:
    """One bar split into its parts (e.g. problem / achievement / other), each part a link."""
    total = sum(max(0.0, s.value) for s in segments) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none" height="{height}" role="img">'
    ]
    x = 0.0
    for segment in segments:
        length = max(0.0, segment.value) / total * width
        parts.append(
            _link(
                segment.href,
                f'<rect x="{x:.1f}" y="0" width="{length:.1f}" height="{height}" fill="{segment.colour}">'
                f"<title>{escape(segment.label)}：{segment.value:g}</title></rect>",
            )
        )
        x += length
    parts.append("</svg>")
    return Markup("".join(parts))


def progress_bar(value: float, target: float | None, *, width: int = 160, height: int = 12) -> Markup:
    """Progress toward a target (full and green once reached)."""
    if not target or target <= 0:
        return Markup("")
    ratio = max(0.0, min(1.0, value / target))
    colour = "#2e7d32" if value >= target else "#e0a800"
    return Markup(
        f'<svg class="progress" width="{width}" height="{height}" role="img">'
        f'<rect width="{width}" height="{height}" fill="#eee"/>'
        f'<rect width="{ratio * width:.1f}" height="{height}" fill="{colour}"/>'
        f"<title>{value:g} / {target:g}</title></svg>"
    )
