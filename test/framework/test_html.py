"""The HTML page's parts (``baselines/html.py``), called directly: a model's chart."""

from __future__ import annotations

from store_fixtures import measured

from pytest_modelgate.baselines import html
from pytest_modelgate.baselines import store as baselines


def test_chart_draws_band_threshold_and_current() -> None:
    points = [baselines.history_point(measured(0.01 * (1 + i / 10))) for i in range(3)]
    svg = html.chart(points, width=200, height=80, current=0.02, threshold=0.013)
    assert svg.count("<polygon") == 1 and svg.count("<polyline") == 1
    assert 'class="threshold"' in svg and 'class="current"' in svg and "20 ms" in svg
