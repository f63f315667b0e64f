"""The text of a converted test module: a thin, gated module over ``models.checks``.

Every value taken from a legacy file is embedded with ``repr()``, only in the constants block;
the rest of the module is fixed text. The result is checked with ``ast.parse`` (and its constants
read back) before anyone writes it, and the same extraction always gives the same bytes.
"""

from __future__ import annotations

import ast

from pytest_modelgate.convert.extract import GENERATED_MARK, Extraction, identifier
from pytest_modelgate.models.catalog import CATEGORIES


class GenerationError(ValueError):
    """The extraction cannot be turned into a module (a bug or hostile input: never written)."""


def module_filename(model_name: str, number: int = 1) -> str:
    """``xlm-roberta`` -> ``test_hf_xlm_roberta_improved.py`` (no separators, no dots); a
    ``number`` above 1 tells apart names that clash (``test_hf_xlm_roberta_2_improved.py``)."""
    suffix = f"_{number}" if number > 1 else ""
    return f"test_hf_{identifier(model_name) or 'model'}{suffix}_improved.py"


HEADER = f'''\
{GENERATED_MARK}

Generated: change the legacy script (or the converter) and convert again rather than editing
this file. The checks come from ``pytest_modelgate.models.checks``; without
``--run-model-tests`` these tests are gated off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.models import checks

'''

BODY = """
pytestmark = [
    pytest.mark.model_test,
    pytest.mark.model,
    pytest.mark.{category},
    pytest.mark.parametrize("device", checks.device_params()),
]{xfail}


def test_forward(device: str, model_source: str) -> None:
    checks.check_forward(MODEL_TYPE, HEAD, device, source=model_source, model_id=MODEL_ID)


def test_deterministic(device: str, model_source: str) -> None:
    checks.check_deterministic(MODEL_TYPE, HEAD, device, source=model_source, model_id=MODEL_ID)


def test_save_load(device: str, model_source: str, tmp_path: Path) -> None:
    checks.check_save_load(
        MODEL_TYPE, HEAD, device, tmp_path, source=model_source, model_id=MODEL_ID
    )


@pytest.mark.benchmark
def test_performance(device: str, model_source: str, model_benchmark: Any) -> None:
    built = checks.build(MODEL_TYPE, HEAD, device, source=model_source, model_id=MODEL_ID)
    name = f"{{MODEL_TYPE}}-{{HEAD}}" if model_source == "tiny" else f"{{MODEL_ID}}-{{HEAD}}"
    model_benchmark(name, built.model, built.inputs, device=device)
"""

# A module whose checks cannot run (no pair in the catalog) fails them, as expected, for the
# reason its constant holds; strict, so that it turns red once they pass: convert it again.
XFAIL = """
pytestmark.append(pytest.mark.xfail(reason={name}, strict=True))"""


def xfail_name(extraction: Extraction) -> str | None:
    """The constant holding why the module's tests are expected to fail, or None when its model
    type has pairs: ``NO_PAIR`` for a type transformers has as a config only, ``UNKNOWN_TYPE``
    for one it lacks."""
    if extraction.known_type:
        return None
    return "NO_PAIR" if extraction.config_only else "UNKNOWN_TYPE"


def constants(extraction: Extraction) -> dict[str, object]:
    """The module's constants, in the order they are written."""
    if not extraction.is_model or extraction.model_type is None or extraction.head is None:
        raise GenerationError(f"{extraction.source!r} is no model test: nothing to generate")
    if extraction.category not in CATEGORIES:
        raise GenerationError(f"category {extraction.category!r} is not one of {CATEGORIES}")
    values: dict[str, object] = {
        "LEGACY_SOURCE": extraction.source,
        "MODEL_ID": extraction.model_id,
        "MODEL_NAME": extraction.model_name,
        "MODEL_TYPE": extraction.model_type,
        "TASK_TYPE": extraction.task,
        "HEAD": extraction.head,
        "CATEGORY": extraction.category,
    }
    name = xfail_name(extraction)
    if name is not None:
        values[name] = extraction.reasons[0]
    return values


def generate(extraction: Extraction) -> str:
    """The module for ``extraction``; raises ``GenerationError`` when it would not be valid."""
    values = constants(extraction)
    block = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    name = xfail_name(extraction)
    xfail = "" if name is None else XFAIL.format(name=name)
    # The category is one of CATEGORIES (checked above), so it is a valid marker name.
    text = HEADER + block + BODY.format(category=extraction.category, xfail=xfail)
    check(text, values)
    return text


def check(text: str, values: dict[str, object]) -> None:
    """Parse ``text`` and read its constants back: they must be exactly ``values``."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise GenerationError(f"generated module does not parse: {error}") from error
    found: dict[str, object] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in values
        ):
            found[node.targets[0].id] = ast.literal_eval(node.value)
    if found != values:
        raise GenerationError("generated module's constants differ from the extraction")
