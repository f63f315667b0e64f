"""The config table: model types transformers has a config for but no auto model class.

The registry snapshot (``models/registry.json``) is made of the auto model mappings, so a model
type no auto class serves is missing from it: a standalone model such as ``nougat`` or ``rag``,
or a part of another model such as ``clvp_decoder`` or ``siglip_text_model``. They are still
model types, and legacy scripts are named after them. The converter keeps them in its alias
file (``aliases.json``, key ``configs``), each with the catalog types of the transformers module
that defines it: the models that hold it, whose pairs test its code. ``write_table`` makes the
table anew from the installed transformers, which must be the snapshot's version.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Collection, Mapping
from pathlib import Path

from pytest_modelgate.convert.extract import ALIASES
from pytest_modelgate.models.catalog import load_registry


def holders(module: str, modules: Mapping[str, str]) -> tuple[str, ...]:
    """The catalog types of ``module`` (``modules``: catalog type -> its module) that hold a
    part defined there: the type named like the module, else every type of the module."""
    found = sorted(t for t, m in modules.items() if m == module)
    named = [t for t in found if t.replace("-", "_") == module]
    return tuple(named or found)


def config_table(
    config_modules: Mapping[str, str], catalog_types: Collection[str]
) -> dict[str, tuple[str, ...]]:
    """Each model type of ``config_modules`` (model type -> the transformers module of its
    config) that the catalog lacks, with the catalog types that hold it (none for a model no
    auto class serves), in name order."""
    modules = {t: m for t, m in config_modules.items() if t in catalog_types}
    return {
        model_type: holders(module, modules)
        for model_type, module in sorted(config_modules.items())
        if model_type not in catalog_types
    }


def table_from_transformers() -> dict[str, object]:
    """The ``configs`` entry of the alias file, from the installed transformers (imported)."""
    transformers = importlib.import_module("transformers")
    auto = importlib.import_module("transformers.models.auto.configuration_auto")
    config_modules = {t: auto.model_type_to_module_name(t) for t in auto.CONFIG_MAPPING_NAMES}
    table = config_table(config_modules, set(load_registry().model_types()))
    return {
        "transformers_version": transformers.__version__,
        "types": {t: list(held) if len(held) != 1 else held[0] for t, held in table.items()},
    }


def write_table(path: Path = ALIASES) -> None:
    """Replace the ``configs`` entry of the alias file at ``path`` with the installed
    transformers' table; the other entries are kept as they are."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["configs"] = table_from_transformers()
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
