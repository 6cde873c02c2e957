"""The inline SVG charts: one segment per (week, severity) with violations, scaled to a round axis."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from checker.outputs.reportmodel import Week
from checker.outputs.svgchart import BOTTOM, HEIGHT, TOP, bar_svg, nice_step, weekly_chart_svg

NAMES = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low", "info": "Info"}


@pytest.mark.parametrize(
    ("peak", "step"),
    [
        (0, 1),
        (1, 1),
        (4, 1),
        (5, 2),
        (8, 2),
        (9, 5),
        (20, 5),
        (21, 10),
        (40, 10),
        (41, 20),
        (1234, 500),
    ],
)
def test_nice_step(peak: int, step: int) -> None:
    assert nice_step(peak) == step


def _weeks(*counts: tuple[int, ...]) -> list[Week]:
    return [Week(date(2024, 1, 1) + timedelta(weeks=i), c) for i, c in enumerate(counts)]


def test_weekly_chart_segments_heights_and_tooltips() -> None:
    weeks = _weeks((0, 2, 1, 0, 0), (0, 0, 0, 0, 0), (1, 4, 0, 0, 3))
    svg = weekly_chart_svg(weeks, NAMES, "Week of {d}", "Violations per week")
    segments = re.findall(
        r'<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)" fill="[^"]+">'
        r"<title>([^<]+)</title>",
        svg,
    )
    assert [t for _, _, t in segments] == [
        "Week of 2024-01-01: 2 High",
        "Week of 2024-01-01: 1 Medium",
        "Week of 2024-01-15: 1 Critical",
        "Week of 2024-01-15: 4 High",
        "Week of 2024-01-15: 3 Info",
    ]
    # the axis goes to 8 (gridlines every 2 for a peak of 8): 1 violation is an eighth of the plot
    unit = (HEIGHT - TOP - BOTTOM) / 8
    heights = [float(h) for _, h, _ in segments]
    assert heights == pytest.approx([2 * unit, unit, unit, 4 * unit, 3 * unit], abs=0.01)
    # stacked: each segment starts where the one below it ends
    assert float(segments[2][0]) == pytest.approx(HEIGHT - BOTTOM - unit, abs=0.01)
    assert float(segments[3][0]) == pytest.approx(HEIGHT - BOTTOM - 5 * unit, abs=0.01)
    assert ">8</text>" in svg and ">6</text>" in svg and "style=" not in svg and "http" not in svg


def test_many_weeks_label_at_most_twelve() -> None:
    svg = weekly_chart_svg(_weeks(*[(0, 1, 0, 0, 0)] * 150), NAMES, "{d}", "chart")
    labels = re.findall(r'text-anchor="middle">(\d{4}-\d{2}-\d{2})</text>', svg)
    assert 6 <= len(labels) <= 12 and labels[0] == "2024-01-01"


def test_labels_are_escaped() -> None:
    svg = weekly_chart_svg(_weeks((0, 1, 0, 0, 0)), {**NAMES, "high": "<b>"}, "{d} & co", "a<b")
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "&amp; co" in svg


def test_bar_is_proportional() -> None:
    assert re.findall(r'width="([^"]+)" height', bar_svg((0, 3, 1, 0, 0), peak=8)) == ["120", "45", "15"]
    assert "<rect" not in bar_svg((0, 0, 0, 0, 0), peak=0)
