"""``modelgate report --html`` (``cli/report.py``): the HTML page of run reports, of an A/B
report and of a store alone, parsed for its parts and rendered once in a headless browser where
one is installed; what it cannot read is named and no page is written."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_modelgate.baselines import compare
from pytest_modelgate.baselines.judge import diff_stores
from pytest_modelgate.cli import main


class Page(HTMLParser):
    """What the tests look for in the page: elements by id and class, rows, URLs."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.classes: list[str] = []
        self.rows: list[dict[str, str]] = []
        self.urls: list[str] = []
        self.headings: list[str] = []
        self.tags: list[str] = []
        self._in_th = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if "id" in values:
            self.ids.add(values["id"])
        self.classes += values.get("class", "").split()
        if tag == "tr" and "data-verdict" in values:
            self.rows.append(values)
        self.urls += [values[k] for k in ("src", "href") if k in values]
        self._in_th = tag == "th"

    def handle_data(self, data: str) -> None:
        if self._in_th:
            self.headings.append(data)
            self._in_th = False


def run_report(tmp_path: Path, two_stores: tuple[Path, Path]) -> Path:
    base, head = two_stores
    document = diff_stores(base, head, compare.Rule())
    report_path = tmp_path / "run.json"
    results = [r.as_dict() for r in document.results]
    report_path.write_text(json.dumps({"results": results, "drift": {}}))
    return report_path


def test_html_of_a_run_report(
    two_stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    report = run_report(tmp_path, two_stores)
    assert main(["report", str(report), "--html", str(out), "--baselines-dir",
                 str(two_stores[0])]) == 0  # fmt: skip
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text()
    page = Page(text)
    assert {"counts", "slower", "all", "models", "filter", "verdict"} <= page.ids
    assert text.index('id="counts"') < text.index('id="slower"') < text.index('id="models"')
    assert len(page.rows) == 12 and page.rows[0]["data-verdict"] == "regression"
    assert page.rows[0]["data-model"] == "model-03"
    assert page.classes.count("card") == 1 and "current" in page.classes
    assert page.classes.count("band") >= 12 and "threshold" in page.classes
    assert "baseline recorded 2026-01-02 00:00:00" in text  # since when
    assert "+60.0%" in text
    assert page.urls == [] and "http" not in text.replace('xmlns="http', "")  # nothing to fetch
    assert page.tags.count("script") == 1 and "link" not in page.tags


def test_html_of_an_ab_report_shows_both_sides(
    two_stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = two_stores
    ab = tmp_path / "ab.json"
    assert main(["baselines", "diff", str(base), str(head), "--json"]) == 0
    ab.write_text(capsys.readouterr().out)
    out = tmp_path / "ab.html"
    assert main(["report", str(ab), "--html", str(out)]) == 0
    page = Page(out.read_text())
    assert f"time ({base})" in page.headings and f"time ({head})" in page.headings
    assert page.classes.count("pair") == 1 and page.tags.count("figure") == 2
    assert page.tags.count("svg") == 2 + 2 * 12  # both sides in the card and in every row


def test_html_of_a_store_alone_judges_the_latest_update(
    two_stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "store.html"
    assert main(["report", "--baselines-dir", str(two_stores[1]), "--html", str(out)]) == 0
    # judged on history points alone (no samples): said in other words, and why
    assert "1 slower" in capsys.readouterr().out
    text = out.read_text()
    page = Page(text)
    assert [r["data-model"] for r in page.rows if r["data-verdict"] == "regression"] == ["model-03"]
    assert "History points keep no samples" in text and ">slower</span>" in text
    assert ">regression</span>" not in text


def test_report_of_nothing_readable_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.html"
    assert main(["report", str(tmp_path / "missing.json"), "--html", str(out)]) == 1
    assert "not a readable report" in capsys.readouterr().err and not out.exists()
    assert main(["report", "--baselines-dir", str(tmp_path), "--html", str(out)]) == 1
    assert not out.exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium installed to render")
def test_the_page_renders_in_a_headless_browser(
    two_stores: tuple[Path, Path], tmp_path: Path
) -> None:
    out, shot = tmp_path / "report.html", tmp_path / "report.png"
    report = run_report(tmp_path, two_stores)
    assert main(["report", str(report), "--html", str(out), "--baselines-dir",
                 str(two_stores[0])]) == 0  # fmt: skip
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
               "--window-size=1280,900", out.as_uri()]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000  # a page, not a blank


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[]", "not a run report: at top level: [] is not of type 'object'"),
        ("{}", "not a run report: at top level: 'results' is a required property"),
        (
            '{"results": [{"model": "m", "device": "cpu"}]}',
            "not a run report: at results/0: 'verdict' is a required property",
        ),
        (
            '{"results": [], "sides": {"base": {}}}',
            "not a run report: at sides/base: 'label' is a required property",
        ),
    ],
)
def test_a_malformed_report_is_named_in_one_line_and_no_page_is_written(
    tmp_path: Path,
    two_stores: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    content: str,
    problem: str,
) -> None:
    good = run_report(tmp_path, two_stores)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = tmp_path / "page.html"
    assert main(["report", str(good), str(bad), "--html", str(out)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"modelgate report: {bad}: {problem}"]
    assert not out.exists()


def test_an_html_path_that_is_a_folder_is_a_usage_error(
    tmp_path: Path, two_stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = run_report(tmp_path, two_stores)
    folder = tmp_path / "page.html"
    folder.mkdir()
    assert main(["report", str(good), "--html", str(folder)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"modelgate report: --html {str(folder)!r} is a folder, not a file"
    )
