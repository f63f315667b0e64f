"""The baseline schema (``baselines/schema.py``): the shipped schema is valid, and its compiled
checks agree with jsonschema, history points included; what they cannot check is refused."""

from __future__ import annotations

import copy
import math
from typing import Any

import jsonschema
import pytest
from store_fixtures import entry, measured

from pytest_modelgate.baselines import schema
from pytest_modelgate.baselines import store as baselines


def _documents() -> list[Any]:
    good = {"schema_version": 1, "device": "cpu", "entries": {"m": entry(), "n": entry(0.5)}}
    mutations: list[Any] = [good, {**good, "entries": {}}, [], None, "text"]
    for key, value in [
        ("inference_time_mean", 0),
        ("inference_time_mean", True),
        ("inference_time_mean", "1"),
        ("samples", []),
        ("samples", [1, -1]),
        ("samples", [1, False]),
        ("samples", [1.0, math.nan]),
        ("samples", [math.nan, 1.0]),
        ("inference_time_mean", math.nan),
        ("threads", 1.5),
        ("threads", 2.0),
        ("threads", 0),
        ("clock", "sundial"),
        ("source", "imported"),
        ("fingerprint", {"threads": [1]}),
        ("unknown_key", 1),
        ("metrics", {"throughput_per_s": 3}),
        ("metrics", {"throughput_per_s": -3}),
    ]:
        document = copy.deepcopy(good)
        document["entries"]["m"][key] = value
        mutations.append(document)
    for key in ("device", "timestamp", "inference_time_mean"):
        document = copy.deepcopy(good)
        del document["entries"]["m"][key]
        mutations.append(document)
    for top, value in [("device", "CPU!"), ("device", 3), ("schema_version", True), ("x", 1)]:
        mutations.append({**good, top: value})
    mutations.append({**good, "entries": {"": entry()}})
    return mutations


def test_compiled_checks_agree_with_jsonschema() -> None:
    validator = jsonschema.Draft202012Validator(schema.shipped_schema())
    check = schema.compile_schema(schema.shipped_schema())
    documents = _documents()
    for document in documents:
        if "nan" in repr(document):  # jsonschema lets NaN through; JSON cannot hold it anyway
            assert not check(document)
            assert schema.problem(document) is not None
        else:
            assert check(document) == validator.is_valid(document), document
    assert sum(1 for d in documents if validator.is_valid(d)) >= 4


def test_shipped_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema.shipped_schema())


def test_unsupported_keywords_are_refused() -> None:
    with pytest.raises(schema.UnsupportedSchema, match="oneOf"):
        schema.compile_schema({"oneOf": [{"type": "string"}]})
    with pytest.raises(schema.UnsupportedSchema, match="http"):
        schema.compile_schema({"$ref": "http://example.com/s.json"})


def test_schema_checks_history_points_as_jsonschema_does() -> None:
    good = {"schema_version": 1, "device": "cpu", "entries": {"m": baselines.with_history(
        measured(0.01), None)}}  # fmt: skip
    validator = jsonschema.Draft202012Validator(schema.shipped_schema())
    check = schema.compile_schema(schema.shipped_schema())
    documents: list[Any] = [good]
    for key, value in [("median", 0), ("median", "1"), ("spread", -1), ("extra", 1),
                       ("machine", 3), ("timestamp", "")]:  # fmt: skip
        document = copy.deepcopy(good)
        document["entries"]["m"]["history"][0][key] = value
        documents.append(document)
    missing = copy.deepcopy(good)
    del missing["entries"]["m"]["history"][0]["median"]
    documents.append(missing)
    verdicts = [check(d) for d in documents]
    assert verdicts == [validator.is_valid(d) for d in documents]
    assert verdicts == [True] + [False] * (len(documents) - 1)
