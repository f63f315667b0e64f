"""Generated modules: golden files, safe embedding of hostile strings, sanitized names.

Set ``MODELGATE_UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change, and
review the diff.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from pathlib import Path

import pytest
from goldens import FIXTURES, GOLDEN, for_registry

from pytest_modelgate.convert import files
from pytest_modelgate.convert.extract import Extraction, extract
from pytest_modelgate.convert.generate import GenerationError, generate, module_filename

LEGACY = FIXTURES / "legacy"
CONVERTED = sorted(
    p.relative_to(LEGACY).as_posix()
    for p in LEGACY.rglob("test_hf_*.py")
    if extract(p.name, p.read_bytes()).is_model
)

BERT = Extraction(
    source="test_hf_bert.py",
    model_name="bert",
    parser="ast",
    model_type="bert",
    known_type=True,
    model_id="google-bert/bert-base-uncased",
    task="fill-mask",
    head="fill-mask",
    category="text",
    reasons=("model type 'bert' from the file name",),
)


def golden_path(source: str) -> Path:
    found = extract(source, LEGACY.joinpath(*source.split("/")).read_bytes())
    return GOLDEN / files.output_relpath(source, module_filename(found.model_name))


@pytest.mark.parametrize("source", CONVERTED)
def test_golden(source: str) -> None:
    text = generate(extract(source, LEGACY.joinpath(*source.split("/")).read_bytes()))
    golden = golden_path(source)
    if os.environ.get("MODELGATE_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == for_registry(golden.read_text(encoding="utf-8"))
    compile(text, golden.name, "exec")


def test_goldens_have_no_strays() -> None:
    expected = {golden_path(s) for s in CONVERTED}
    packages = {GOLDEN / d / files.PACKAGE_FILE for d in ("", "sub", "variants")}
    assert set(GOLDEN.rglob("*.py")) == expected | packages
    assert len(CONVERTED) == 25


def constants_of(text: str) -> dict[str, object]:
    tree = ast.parse(text)
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.isupper()
    }


def test_module_shape() -> None:
    text = generate(BERT)
    assert constants_of(text) == {
        "LEGACY_SOURCE": "test_hf_bert.py",
        "MODEL_ID": "google-bert/bert-base-uncased",
        "MODEL_NAME": "bert",
        "MODEL_TYPE": "bert",
        "TASK_TYPE": "fill-mask",
        "HEAD": "fill-mask",
        "CATEGORY": "text",
    }
    tree = ast.parse(text)
    tests = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert tests == ["test_forward", "test_deterministic", "test_save_load", "test_performance"]
    for marker in ("model_test", "model", "text", "benchmark"):
        assert f"pytest.mark.{marker}" in text
    assert 'pytest.mark.parametrize("device", checks.device_params())' in text
    assert "xfail" not in text
    compile(text, "test_hf_bert_improved.py", "exec")


def test_unknown_type_is_a_strict_expected_failure() -> None:
    unknown = dataclasses.replace(
        BERT, model_type="mystery", known_type=False, reasons=("model type 'mystery' unknown",)
    )
    text = generate(unknown)
    assert constants_of(text)["UNKNOWN_TYPE"] == "model type 'mystery' unknown"
    assert "pytest.mark.xfail(reason=UNKNOWN_TYPE, strict=True)" in text
    assert "NO_PAIR" not in text


def test_a_type_without_a_pair_is_a_strict_expected_failure_with_its_reason() -> None:
    reason = "model type 'nougat' has a config in transformers 5.24.0 but no auto model class"
    pairless = dataclasses.replace(
        BERT, model_type="nougat", known_type=False, config_only=True, reasons=(reason,)
    )
    text = generate(pairless)
    assert constants_of(text)["NO_PAIR"] == reason
    assert "pytest.mark.xfail(reason=NO_PAIR, strict=True)" in text
    assert "UNKNOWN_TYPE" not in text
    compile(text, "test_hf_nougat_improved.py", "exec")


def test_same_input_same_bytes() -> None:
    assert generate(BERT).encode() == generate(dataclasses.replace(BERT)).encode()


HOSTILE = [
    "a'b\"c",
    "x\n__import__('os').system('echo pwned')",
    "'''\"\"\"",
    "\\",
    "x\\'); __import__(\"os\"); ('",
    "\r\n\t\x00\x1b[31m",
    "ünïcødé/∂",
    "{{self.model_id}}",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_data_only(value: str) -> None:
    hostile = dataclasses.replace(
        BERT, source=value, model_name=value, model_id=value, model_type=value, task=value
    )
    text = generate(hostile)
    values = constants_of(text)
    assert values["MODEL_ID"] == value
    assert values["LEGACY_SOURCE"] == value
    calls = {
        ast.unparse(node.func) for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)
    }
    assert calls == {
        "pytest.mark.parametrize",
        "checks.device_params",
        "checks.check_forward",
        "checks.check_deterministic",
        "checks.check_save_load",
        "checks.build",
        "model_benchmark",
    }
    assert text.count("\n") == generate(BERT).count("\n")


@pytest.mark.parametrize(
    "name", ["bert", "xlm-roberta", "../../etc/passwd", "a/b\\c", "", ".", "ünï", "x\ny", "__"]
)
def test_module_filename_is_a_plain_identifier(name: str) -> None:
    filename = module_filename(name)
    assert re.fullmatch(r"test_hf_[A-Za-z0-9_]+_improved\.py", filename)
    assert ".." not in filename and "/" not in filename


def test_skipped_and_bad_extractions_are_not_generated() -> None:
    with pytest.raises(GenerationError, match="no model test"):
        generate(Extraction("test_hf___help.py", "__help", "ast", skip_reason="no model"))
    with pytest.raises(GenerationError, match="category 'x'"):
        generate(dataclasses.replace(BERT, category="x"))
