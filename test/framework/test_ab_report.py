"""How an A/B run shows the tests whose outcome changed: the terminal's lines, the step
summary's Markdown, the HTML page's section and the JSON report's ``outcomes`` (its schema)."""

from __future__ import annotations

from typing import Any

from pytest_modelgate.ab import judge
from pytest_modelgate.baselines import html, render

PASSED, FAILED = judge.SideOutcome("passed"), judge.SideOutcome("failed", message="x | <y>")


def section(base: dict[str, judge.SideOutcome], head: dict[str, judge.SideOutcome]) -> Any:
    return judge.compare_outcomes(base, head).as_dict()


MANY = section(
    {f"t::fixed_{i:02d}": FAILED for i in range(25)} | {"t::broke[a|b]": PASSED},
    {f"t::fixed_{i:02d}": PASSED for i in range(25)} | {"t::broke[a|b]": FAILED},
)


def test_the_terminal_lists_the_most_urgent_first_and_cuts_a_long_list() -> None:
    lines = render.outcome_lines(MANY)
    assert lines[0] == (
        "tests: 1 newly failing, 25 newly passing (base: 1 passed, 25 failed; head: 25 passed, "
        "1 failed)"
    )
    assert lines[1:3] == ["newly failing:", "  t::broke[a|b]: passed → failed: x | <y>"]
    assert lines[3] == "newly passing:"
    assert len(lines) == 1 + 2 + 1 + 19 + 1  # at most 20 tests shown
    assert lines[-1] == "... and 6 more tests: -v shows them"
    every = render.outcome_lines(MANY, verbose=True)
    assert len(every) == 1 + 2 + 1 + 25 and not every[-1].startswith("...")


def test_the_step_summary_is_a_table_with_the_breaks_in_bold() -> None:
    markdown = render.outcomes_markdown(MANY, "Test outcomes A/B: x")
    assert markdown.startswith("### Test outcomes A/B: x\n\ntests: 1 newly failing, ")
    assert "| change | test | base | head | message |" in markdown
    assert "| **newly failing** | t::broke[a\\|b] | passed | failed | x \\| <y> |" in markdown
    assert markdown.count("| newly passing |") == 25  # all of them: a page, not a terminal
    quiet = render.outcomes_markdown(section({"t::a": PASSED}, {"t::a": PASSED}))
    assert "| change |" not in quiet and "no test changed its outcome" in quiet


def test_the_page_lists_them_escaped_above_the_verdicts() -> None:
    page = html.build({"results": [], "outcomes": MANY}, {})
    assert page.count('<tr data-change="newly_failing">') == 1
    assert page.count('<tr data-change="newly_passing">') == 25
    assert "x | &lt;y&gt;" in page and "<y>" not in page
    assert page.index('id="outcomes"') < page.index('id="slower"')
    assert 'id="outcomes"' not in html.build({"results": []}, {})  # a report of a test run


def test_the_report_schema_takes_the_outcomes_and_checks_them() -> None:
    assert render.problem({"results": [], "outcomes": MANY}) is None
    wrong = {**MANY, "changes": [{**MANY["changes"][0], "change": "broke"}]}
    problem = render.problem({"results": [], "outcomes": wrong})
    assert problem is not None and "outcomes/changes/0/change" in problem
