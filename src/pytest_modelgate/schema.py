"""Validation of baseline files against the JSON Schema shipped in the package.

``jsonschema`` takes seconds on a file of 10 000 entries, so the schema is compiled once into
nested checks for the keywords it uses (a schema using any other keyword is refused at compile
time, and the tests check that the compiled checks and ``jsonschema`` agree). ``jsonschema``
still words the message when a document fails.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "baselines.schema.json"
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description"})

Check = Callable[[Any], bool]

_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and math.isfinite(v) and v.is_integer())
    ),
}


class UnsupportedSchema(ValueError):
    """The schema uses a keyword the compiled checks do not implement."""


@cache
def shipped_schema() -> dict[str, Any]:
    """The baseline file schema shipped in the package."""
    text = resources.files("pytest_modelgate").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A fast check equivalent to validating against ``schema`` (local ``$ref`` only)."""
    defs = schema.get("$defs", {})
    compiled: dict[str, Check] = {}

    def ref(target: str) -> Check:
        name = target.removeprefix("#/$defs/")
        if name == target or name not in defs:
            raise UnsupportedSchema(f"unsupported $ref {target!r}")
        if name not in compiled:
            compiled[name] = lambda v: compiled[name + "!"](v)
            compiled[name + "!"] = build(defs[name])
        return compiled[name]

    def build(node: Mapping[str, Any]) -> Check:
        number = _number_check(node)
        if number is not None:
            return number
        checks = [keyword(k, v, node) for k, v in node.items() if k not in ANNOTATIONS]
        if len(checks) == 1:
            return checks[0]

        return lambda v: all(check(v) for check in checks)

    def keyword(key: str, value: Any, node: Mapping[str, Any]) -> Check:
        if key == "$ref":
            return ref(value)
        if key == "type":
            names = [value] if isinstance(value, str) else list(value)
            tests = [_TYPES[n] for n in names]
            return lambda v: any(t(v) for t in tests)
        if key == "const":
            return lambda v: type(v) is type(value) and v == value
        if key == "enum":
            return lambda v: any(type(v) is type(e) and v == e for e in value)
        if key == "pattern":
            regex = re.compile(value)
            return lambda v: not isinstance(v, str) or regex.search(v) is not None
        if key == "minLength":
            return lambda v: not isinstance(v, str) or len(v) >= value
        if key in ("minimum", "exclusiveMinimum"):
            strict = key == "exclusiveMinimum"
            number = _TYPES["number"]
            return lambda v: not number(v) or (v > value if strict else v >= value)
        if key == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= value
        if key == "items":
            item = build(value)
            return lambda v: not isinstance(v, list) or all(map(item, v))
        if key == "required":
            return lambda v: not isinstance(v, dict) or all(k in v for k in value)
        if key == "propertyNames":
            name_check = build(value)
            return lambda v: not isinstance(v, dict) or all(name_check(k) for k in v)
        if key == "properties":
            props = {name: build(sub) for name, sub in value.items()}
            return lambda v: (
                not isinstance(v, dict) or all(props[k](x) for k, x in v.items() if k in props)
            )
        if key == "additionalProperties":
            known = set(node.get("properties", {}))
            if value is False:
                return lambda v: not isinstance(v, dict) or known.issuperset(v)
            extra = build(value)
            return lambda v: (
                not isinstance(v, dict) or all(extra(x) for k, x in v.items() if k not in known)
            )
        raise UnsupportedSchema(f"unsupported keyword {key!r}")

    return build(schema)


def _number_check(node: Mapping[str, Any]) -> Check | None:
    """One check for the common ``{"type": "number", "exclusiveMinimum": x}`` shape (speed)."""
    if node.get("type") != "number" or set(node) - {"type", "minimum", "exclusiveMinimum"}:
        return None
    low = node.get("exclusiveMinimum", node.get("minimum", -math.inf))
    if "exclusiveMinimum" in node:
        return lambda v: type(v) in (float, int) and v > low
    return lambda v: type(v) in (float, int) and v >= low


@cache
def _shipped_check() -> Check:
    return compile_schema(shipped_schema())


@cache
def _validator() -> Any:
    """A jsonschema validator of the shipped schema (imported late: it is slow to import)."""
    validators = importlib.import_module("jsonschema.validators")
    schema = shipped_schema()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def problem(document: Any) -> str | None:
    """Why ``document`` does not match the shipped schema, or None when it does."""
    if _shipped_check()(document):
        return None
    exceptions = importlib.import_module("jsonschema.exceptions")
    error = exceptions.best_match(_validator().iter_errors(document))
    if error is None:  # the compiled checks and jsonschema disagree: trust jsonschema
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "top level"
    return f"does not match the baseline schema at {where}: {error.message}"
