"""Validation of baseline files against the JSON Schema shipped in the package.

``jsonschema`` takes seconds on a file of 10 000 entries, so the schema is compiled once into
nested checks for the keywords it uses (a schema using any other keyword is refused at compile
time, and the tests check that the compiled checks and ``jsonschema`` agree, except that the
compiled checks also refuse NaN, which JSON cannot hold). ``jsonschema`` still words the message
when a document fails.
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
    text = resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties"})


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A fast check equivalent to validating against ``schema`` (local ``$ref`` only).

    Keywords about objects (``properties``, ``required``, ``additionalProperties``) are checked
    in one pass over the object, and a ``$ref`` resolves to its target's check once.
    """
    defs = schema.get("$defs", {})
    compiled: dict[str, Check] = {}
    building: set[str] = set()

    def ref(target: str) -> Check:
        name = target.removeprefix("#/$defs/")
        if name == target or name not in defs:
            raise UnsupportedSchema(f"unsupported $ref {target!r}")
        if name in building:  # a recursive definition: look it up when called
            return lambda v: compiled[name](v)
        if name not in compiled:
            building.add(name)
            compiled[name] = build(defs[name])
            building.discard(name)
        return compiled[name]

    def build(node: Mapping[str, Any]) -> Check:
        number = _number_check(node)
        if number is not None:
            return number
        skip = ANNOTATIONS | OBJECT_KEYWORDS
        checks = [keyword(k, v, node) for k, v in node.items() if k not in skip]
        if OBJECT_KEYWORDS & set(node):
            checks.append(object_check(node))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    def object_check(node: Mapping[str, Any]) -> Check:
        props = {name: build(sub) for name, sub in node.get("properties", {}).items()}
        required = tuple(node.get("required", ()))
        extra_node = node.get("additionalProperties", True)
        extra = None if isinstance(extra_node, bool) else build(extra_node)
        closed = extra_node is False

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key in required:
                if key not in v:
                    return False
            for key, value in v.items():
                sub = props.get(key)
                if sub is not None:
                    if not sub(value):
                        return False
                elif closed or (extra is not None and not extra(value)):
                    return False
            return True

        return check

    def keyword(key: str, value: Any, node: Mapping[str, Any]) -> Check:
        if key == "$ref":
            return ref(value)
        if key == "type":
            names = [value] if isinstance(value, str) else list(value)
            tests = [_TYPES[n] for n in names]
            if len(tests) == 1:
                return tests[0]

            return lambda v: any(test(v) for test in tests)
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
            numbers = _number_bounds(value)
            if numbers is not None:  # a list of numbers: checked at C speed (10 000s of them)
                low, strict = numbers
                return lambda v: (
                    not isinstance(v, list)
                    or (
                        set(map(type, v)) <= _NUMBER_TYPES
                        and not any(map(math.isnan, v))
                        and (not v or (min(v) > low if strict else min(v) >= low))
                    )
                )
            item = build(value)
            return lambda v: not isinstance(v, list) or all(map(item, v))
        if key == "propertyNames":
            name_check = build(value)
            return lambda v: not isinstance(v, dict) or all(map(name_check, v))
        raise UnsupportedSchema(f"unsupported keyword {key!r}")

    return build(schema)


_NUMBER_TYPES = frozenset({float, int})


def _number_bounds(node: Mapping[str, Any]) -> tuple[float, bool] | None:
    """(lower bound, strict) of a ``{"type": "number", "[exclusive]minimum": x}`` node."""
    if node.get("type") != "number" or set(node) - {"type", "minimum", "exclusiveMinimum"}:
        return None
    if "exclusiveMinimum" in node:
        return float(node["exclusiveMinimum"]), True
    return float(node.get("minimum", -math.inf)), False


def _number_check(node: Mapping[str, Any]) -> Check | None:
    """One check for the common ``{"type": "number", "exclusiveMinimum": x}`` shape (speed)."""
    bounds = _number_bounds(node)
    if bounds is None:
        return None
    low, strict = bounds
    if strict:
        return lambda v: type(v) in _NUMBER_TYPES and v > low
    return lambda v: type(v) in _NUMBER_TYPES and v >= low


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
    if error is None:  # only the compiled checks refuse it: they also refuse NaN
        return "does not match the baseline schema: a number is NaN"
    where = "/".join(str(p) for p in error.absolute_path) or "top level"
    return f"does not match the baseline schema at {where}: {error.message}"


def problems(document: Any) -> list[str]:
    """Every way ``document`` does not match the shipped schema (none when it does)."""
    if _shipped_check()(document):
        return []
    found = [
        f"at {'/'.join(str(p) for p in error.absolute_path) or 'top level'}: {error.message}"
        for error in sorted(
            _validator().iter_errors(document), key=lambda e: [str(p) for p in e.path]
        )
    ]
    return found or ["a number is NaN"]
