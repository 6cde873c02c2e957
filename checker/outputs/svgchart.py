"""Inline SVG charts for the HTML report: weekly violations stacked by severity, and bars.

Plain markup with presentation attributes only (no ``style`` attribute, which
the report's Content-Security-Policy would refuse), coordinates rounded to
two decimals so the same counts always give the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from .reportmodel import SEVERITY_ORDER, Week

COLORS = {"critical": "#6a1b9a", "high": "#c62828", "medium": "#e65100", "low": "#1565c0", "info": "#546e7a"}
WIDTH, HEIGHT = 960, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 64
MAX_X_LABELS = 12


def _n(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_step(peak: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` gridlines up to ``peak``."""
    if peak <= ticks:
        return 1
    raw = peak / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def text_width(text: str) -> float:
    """About how wide ``text`` is at the chart's 11px font: CJK characters are square."""
    return sum(11.0 if ord(c) >= 0x2E80 else 6.5 for c in text)


def weekly_chart_svg(weeks: Sequence[Week], names: Mapping[str, str], week_of: str, label: str) -> str:
    """A stacked bar per week (the most severe at the bottom), with axes, gridlines and a legend.

    ``names`` are the severities' display names, ``week_of`` a template with
    ``{d}`` for a bar's tooltip, ``label`` the chart's accessible name.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max((wk.total for wk in weeks), default=0)
    step = nice_step(peak)
    top_value = max(step, math.ceil(peak / step) * step)
    scale = plot_h / top_value
    base_y = TOP + plot_h
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(label)}">',
        f"<title>{html.escape(label)}</title>",
    ]
    for value in range(0, top_value + 1, step):
        grid_y = _n(base_y - value * scale)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{grid_y}" y2="{grid_y}" stroke="#d0d7de" '
            f'stroke-width="1"/><text x="{LEFT - 6}" y="{grid_y}" text-anchor="end" '
            f'dominant-baseline="middle">{value}</text>'
        )
    slot = plot_w / max(1, len(weeks))
    bar = max(1.0, slot * 0.78)
    every = max(1, math.ceil(len(weeks) / MAX_X_LABELS))
    for i, wk in enumerate(weeks):
        x = LEFT + i * slot + (slot - bar) / 2
        y = float(base_y)
        tip = html.escape(week_of.format(d=wk.start.isoformat()))
        for severity, count in zip(SEVERITY_ORDER, wk.counts, strict=True):
            if not count:
                continue
            height = count * scale
            y -= height
            out.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar)}" height="{_n(height)}" '
                f'fill="{COLORS[severity]}"><title>{tip}: {count} '
                f"{html.escape(names[severity])}</title></rect>"
            )
        if i % every == 0:
            cx = _n(LEFT + i * slot + slot / 2)
            out.append(
                f'<line x1="{cx}" x2="{cx}" y1="{base_y}" y2="{base_y + 4}" stroke="#57606a"/>'
                f'<text x="{cx}" y="{base_y + 16}" text-anchor="middle">{wk.start.isoformat()}</text>'
            )
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base_y}" y2="{base_y}" stroke="#57606a"/>')
    x = float(LEFT)
    legend_y = HEIGHT - 14
    for severity in SEVERITY_ORDER:
        name = html.escape(names[severity])
        out.append(
            f'<rect x="{_n(x)}" y="{legend_y - 9}" width="10" height="10" fill="{COLORS[severity]}"/>'
            f'<text x="{_n(x + 14)}" y="{legend_y}">{name}</text>'
        )
        x += 32 + text_width(names[severity])
    out.append("</svg>")
    return "".join(out)


def bar_svg(counts: Sequence[int], peak: int, width: int = 120, height: int = 10) -> str:
    """A small horizontal bar, stacked by severity, scaled so that ``peak`` fills ``width``."""
    out = [
        f'<svg class="bar" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-hidden="true">'
    ]
    x = 0.0
    for severity, count in zip(SEVERITY_ORDER, counts, strict=True):
        if count and peak:
            w = width * count / peak
            out.append(
                f'<rect x="{_n(x)}" y="0" width="{_n(w)}" height="{height}" fill="{COLORS[severity]}"/>'
            )
            x += w
    out.append("</svg>")
    return "".join(out)
