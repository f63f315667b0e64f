"""``-k`` means what pytest's -k means, in every ``modelgate`` command."""

from __future__ import annotations

import pytest

from pytest_modelgate import keywords
from pytest_modelgate.cli import main

NAMES = ["bert-fill-mask", "gpt2-causal-lm", "vit-base", "BertGeneration-base", "model-07"]


@pytest.mark.parametrize(
    ("expression", "kept"),
    [
        ("", NAMES),
        ("BERT", ["bert-fill-mask", "BertGeneration-base"]),
        ("bert or gpt", ["bert-fill-mask", "gpt2-causal-lm", "BertGeneration-base"]),
        ("bert and not fill", ["BertGeneration-base"]),
        ("not (bert or gpt) and base", ["vit-base"]),
        ("model-0*", ["model-07"]),
        ("not bert and not gpt and not vit", ["model-07"]),
    ],
)
def test_a_keyword_expression_keeps_what_pytest_would(expression: str, kept: list[str]) -> None:
    assert [n for n in NAMES if keywords.matcher(expression)(n)] == kept


@pytest.mark.parametrize("expression", ["bert and", "(bert", "bert)", "or gpt", "bert gpt"])
def test_an_unreadable_expression_is_named(expression: str) -> None:
    with pytest.raises(keywords.KeywordError, match=r"-k "):
        keywords.matcher(expression)


def test_catalog_and_show_read_k_alike(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "-k", "BERT or GPT2"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert ids and all("bert" in i or "gpt2" in i for i in ids)
    assert any(i.startswith("gpt2") for i in ids) and any(i.startswith("bert") for i in ids)
    with pytest.raises(SystemExit) as exit_info:
        main(["baselines", "show", "-k", "bert and"])
    assert exit_info.value.code == 2
    assert "-k 'bert and': ends where a word was expected" in capsys.readouterr().err
