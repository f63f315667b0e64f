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


def test_every_text_is_escaped_exactly_once() -> None:
    result = {
        "model": "a&b",
        "device": "cpu",
        "verdict": "ok",
        "message": "a&b (cpu): ok",
        "test": None,
        "updated": False,
        "metrics": [],
    }
    sides = {"base": {"label": "x&y"}, "head": {"label": "<head>"}}
    page = html.build({"results": [result], "sides": sides}, {}, sources=["r&s.json"])
    assert "&amp;amp;" not in page and "&amp;lt;" not in page
    assert "a&amp;b" in page and "x&amp;y vs &lt;head&gt;" in page and "r&amp;s.json" in page
