"""What a legacy ``test_hf_*.py`` script tests, read without ever running it.

A file is parsed with ``ast`` when it is valid Python. Most legacy scripts are not (template
placeholders, statements pasted on one line, broken indentation, ``try:`` with no body), so then
its tokens are scanned instead, by a tolerant regex tokenizer (the standard ``tokenize`` stops
at the first unclosed string or bracket, and is slower). Both feed the same facts: model types,
model ids, tasks and class names, each with where it came from. ``extract`` then decides the
model type, id, task, head and category against the transformers registry (``models.catalog``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from pytest_modelgate.models.catalog import (
    BASE_HEAD,
    TASK_HEADS,
    categorize,
    load_registry,
    normalize,
)

# Bytes read of a file. No test script is that big: what lies beyond is data, and an unbounded
# read or scan of a huge file would cost minutes and gigabytes for nothing.
READ_LIMIT = 1 << 20
# The first line of every module ``generate`` writes: such a file is an output, never an input.
GENERATED_MARK = '"""Model tests converted from a legacy script by ``modelgate convert``.'
BINARY_PROBE = 8192

# Names (of variables, arguments, keywords and dict keys) whose string value is a fact.
ID_NAMES = frozenset(
    {
        "model_id",
        "model_name",
        "model",
        "checkpoint",
        "model_checkpoint",
        "default_model",
        "default_model_id",
        "pretrained_model_name_or_path",
    }
)
ID_CONSTANTS = frozenset({"MODEL_ID", "DEFAULT_MODEL", "DEFAULT_MODEL_ID", "CHECKPOINT"})
TASK_NAMES = frozenset({"task", "pipeline_task", "default_task", "task_type"})
TASKS_NAMES = frozenset({"recommended_tasks", "supported_tasks", "tasks"})
TYPE_NAMES = frozenset({"model_type", "model_family"})
CLASS_NAMES = frozenset({"class", "model_class", "class_name", "architecture", "architectures"})

# Where a model id came from, best first: the default a legacy test runs with wins.
ID_RANKS = {
    "model_id default": 0,
    "MODEL_ID constant": 1,
    "registry key": 2,
    "model id field": 3,
    "from_pretrained call": 4,
    "pipeline call": 5,
}
TASK_RANKS = {"pipeline call": 0, "task field": 1, "recommended_tasks": 2}

# When no task of the file fits the model type, the first of these that does is used.
PREFERRED_TASKS = (
    "image-text-to-text",
    "zero-shot-image-classification",
    "visual-question-answering",
    "document-question-answering",
    "zero-shot-object-detection",
    "automatic-speech-recognition",
    "audio-classification",
    "text-to-audio",
    "image-classification",
    "object-detection",
    "image-segmentation",
    "depth-estimation",
    "video-classification",
    "image-to-image",
    "mask-generation",
    "fill-mask",
    "text-generation",
    "text2text-generation",
    "text-classification",
    "token-classification",
    "question-answering",
    "multiple-choice",
    "table-question-answering",
    "time-series-prediction",
    "image-feature-extraction",
    "feature-extraction",
)

_CHECKPOINT = re.compile(r"[A-Za-z0-9][\w.\-]{0,95}(?:/[A-Za-z0-9][\w.\-]{0,95})?", re.ASCII)
_TYPE_NAME = re.compile(r"[A-Za-z][\w.\-]{0,63}", re.ASCII)
_TEST_CLASS = re.compile(r"Test(\w+?)Models?")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])\d*|[A-Z]?[a-z]+\d*|\d+")
_CUES = {
    "multimodal": re.compile(r"image[-_ ]text|vision[-_ ]language|multimodal|caption|vqa", re.I),
    "audio": re.compile(r"audio|speech|waveform|sampling_rate|\.wav\b", re.I),
    "vision": re.compile(r"image|pixel_values|vision|\.jpe?g\b|\.png\b", re.I),
}


@dataclass(frozen=True)
class Found:
    """One fact of a file: a value and where it came from."""

    value: str
    source: str
    pos: tuple[int, int]


@dataclass
class Facts:
    """What a scan of one file saw, in the order it saw it (filled by one scan, then read)."""

    ids: list[Found] = field(default_factory=list)
    tasks: list[Found] = field(default_factory=list)
    types: list[Found] = field(default_factory=list)
    classes: list[Found] = field(default_factory=list)
    test_classes: list[Found] = field(default_factory=list)
    has_registry: bool = False

    def add_named(self, name: str, value: str, pos: tuple[int, int], *, default: bool) -> None:
        """A string ``value`` bound to ``name`` (assignment, argument default, keyword, key)."""
        key = name.lower()
        if key in ID_NAMES:
            if default:
                source = "model_id default"
            elif name in ID_CONSTANTS:
                source = "MODEL_ID constant"
            else:
                source = "model id field"
            self.ids.append(Found(value, source, pos))
        elif key in TASK_NAMES:
            self.tasks.append(Found(value, "task field", pos))
        elif key in TYPE_NAMES:
            self.types.append(Found(value, f"{name} field", pos))
        elif key in CLASS_NAMES:
            self.classes.append(Found(value, f"{name} field", pos))

    def add_identifier(self, name: str, pos: tuple[int, int], index: Index) -> None:
        if name in index.by_class or (name.endswith("Config") and len(name) > 6):
            self.classes.append(Found(name, "class name", pos))

    def add_class_def(self, name: str, pos: tuple[int, int]) -> None:
        match = _TEST_CLASS.fullmatch(name)
        if match is not None:
            self.test_classes.append(Found(match.group(1), f"class {name}", pos))


@dataclass(frozen=True)
class Index:
    """The registry, indexed for the lookups extraction makes many times per file."""

    by_norm: dict[str, str]
    by_class: dict[str, str]
    heads: dict[str, tuple[str, ...]]
    categories: dict[str, str]
    transformers_version: str


@cache
def registry_index() -> Index:
    registry = load_registry()
    by_norm: dict[str, str] = {}
    by_class: dict[str, str] = {}
    heads: dict[str, list[str]] = {}
    categories: dict[str, str] = {}
    for pair in registry.pairs:
        by_norm.setdefault(normalize(pair.model_type), pair.model_type)
        by_class.setdefault(pair.class_name, pair.model_type)
        heads.setdefault(pair.model_type, []).append(pair.head)
        categories[pair.model_type] = pair.category
    return Index(
        by_norm,
        by_class,
        {t: tuple(h) for t, h in heads.items()},
        categories,
        registry.transformers_version,
    )


@dataclass(frozen=True)
class Extraction:
    """What one legacy file tests, or why it is no model test (``skip_reason``)."""

    source: str
    model_name: str
    parser: str
    skip_reason: str | None = None
    model_type: str | None = None
    known_type: bool = False
    model_id: str | None = None
    task: str | None = None
    head: str | None = None
    category: str | None = None
    reasons: tuple[str, ...] = ()

    @property
    def is_model(self) -> bool:
        return self.skip_reason is None


def legacy_name(filename: str) -> str:
    """The model name a legacy file is about: ``test_hf_xlm-roberta.py`` -> ``xlm-roberta``."""
    stem = filename[:-3] if filename.endswith(".py") else filename
    for prefix in ("test_hf_", "test_"):
        if stem.startswith(prefix):
            return stem[len(prefix) :]
    return stem


def identifier(name: str) -> str:
    """``name`` as an ASCII identifier fragment: ``xlm-roberta`` -> ``xlm_roberta``."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_")


def is_checkpoint_id(value: str) -> bool:
    """True for ``name`` or ``org/name`` made of the characters the Hugging Face hub allows."""
    return (
        _CHECKPOINT.fullmatch(value) is not None
        and ".." not in value
        and not value.endswith((".py", ".json"))
        and any(c.isalpha() for c in value)
        and value.lower() not in TASK_HEADS
    )


def registry_key(key: str) -> bool:
    """A key of a legacy model registry: a checkpoint id, not a word like ``cuda``."""
    return is_checkpoint_id(key) and any(c in key for c in "/-0123456789")


def task_name(value: str) -> str:
    """A pipeline task as ``TASK_HEADS`` names it: ``translation_en_to_fr`` -> ``translation``."""
    task = value.strip().lower().replace("_", "-")
    return "translation" if task.startswith("translation-") else task


def show(value: str, limit: int = 60) -> str:
    """A value for a report line: quoted and escaped, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


# --- scanning ------------------------------------------------------------------------------


def facts_from_ast(tree: ast.AST, index: Index) -> Facts:
    """The facts of a parsed file. The walk is ``ast.walk``'s, less what never holds a fact
    (contexts, operators, constants, f-strings, arithmetic, comparisons), with one handler per
    node type: the files of a legacy suite are many, and this is the converter's hot loop."""
    facts = Facts()
    fields: dict[type, tuple[str, ...]] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        kind = type(node)
        handle = _AST_HANDLERS.get(kind)
        if handle is not None:
            handle(node, facts, index)
        if kind not in fields:
            fields[kind] = _child_fields(kind)
        for name in fields[kind]:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return facts


_LEAVES = frozenset({ast.Constant, ast.JoinedStr, ast.BinOp, ast.Compare, ast.Name})
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops"})


def _child_fields(kind: type) -> tuple[str, ...]:
    if kind in _LEAVES:
        return ()
    return tuple(f for f in getattr(kind, "_fields", ()) if f not in _SKIPPED_FIELDS)


def _on_name(node: Any, facts: Facts, index: Index) -> None:
    if node.id[0].isupper():
        facts.add_identifier(node.id, _pos(node), index)


def _on_attribute(node: Any, facts: Facts, index: Index) -> None:
    if node.attr[0].isupper():
        facts.add_identifier(node.attr, _pos(node), index)


def _on_call(node: Any, facts: Facts, index: Index) -> None:
    _ast_call(node, _pos(node), facts)


def _on_dict(node: Any, facts: Facts, index: Index) -> None:
    _ast_dict(node, facts)


def _on_assign(node: Any, facts: Facts, index: Index) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        name = _target_name(target)
        if name is not None and node.value is not None:
            _ast_bind(name, node.value, _pos(node), facts, default=False)


def _on_bool_op(node: Any, facts: Facts, index: Index) -> None:
    if isinstance(node.op, ast.Or):
        _ast_or_default(node, _pos(node), facts)


def _on_function(node: Any, facts: Facts, index: Index) -> None:
    _ast_defaults(node.args, facts)


def _on_class(node: Any, facts: Facts, index: Index) -> None:
    facts.add_class_def(node.name, _pos(node))


_AST_HANDLERS: dict[type, Callable[[Any, Facts, Index], None]] = {
    ast.Name: _on_name,
    ast.Attribute: _on_attribute,
    ast.Call: _on_call,
    ast.Dict: _on_dict,
    ast.Assign: _on_assign,
    ast.AnnAssign: _on_assign,
    ast.BoolOp: _on_bool_op,
    ast.FunctionDef: _on_function,
    ast.AsyncFunctionDef: _on_function,
    ast.ClassDef: _on_class,
}


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _target_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _ast_bind(
    name: str, value: ast.AST, pos: tuple[int, int], facts: Facts, *, default: bool
) -> None:
    text = _text(value)
    if text is not None:
        facts.add_named(name, text, pos, default=default)
    elif name.lower() in TASKS_NAMES and isinstance(value, (ast.List, ast.Tuple)):
        for element in value.elts:
            task = _text(element)
            if task is not None:
                facts.tasks.append(Found(task, "recommended_tasks", pos))


def _ast_defaults(args: ast.arguments, facts: Facts) -> None:
    positional = [*args.posonlyargs, *args.args]
    with_default = positional[len(positional) - len(args.defaults) :]
    pairs = list(zip(with_default, args.defaults, strict=True))
    keywords = zip(args.kwonlyargs, args.kw_defaults, strict=True)
    pairs += [(a, d) for a, d in keywords if d is not None]
    for arg, value in pairs:
        _ast_bind(arg.arg, value, (value.lineno, value.col_offset), facts, default=True)


def _ast_or_default(node: ast.BoolOp, pos: tuple[int, int], facts: Facts) -> None:
    """``model_id or "bert-base-uncased"``: the default a test class falls back to."""
    for left, right in zip(node.values, node.values[1:], strict=False):
        name = _target_name(left)
        text = _text(right)
        if name is not None and text is not None:
            facts.add_named(name, text, pos, default=True)


def _call_name(node: ast.Call) -> str | None:
    return _target_name(node.func)


def _ast_call(node: ast.Call, pos: tuple[int, int], facts: Facts) -> None:
    name = _call_name(node)
    first = _text(node.args[0]) if node.args else None
    if name == "from_pretrained" and first is not None:
        facts.ids.append(Found(first, "from_pretrained call", pos))
    elif name == "pipeline":
        if first is not None:
            facts.tasks.append(Found(first, "pipeline call", pos))
        for keyword in node.keywords:
            text = _text(keyword.value)
            if keyword.arg == "task" and text is not None:
                facts.tasks.append(Found(text, "pipeline call", pos))
            elif keyword.arg == "model" and text is not None:
                facts.ids.append(Found(text, "pipeline call", pos))
        return
    for keyword in node.keywords:
        if keyword.arg is not None:
            _ast_bind(keyword.arg, keyword.value, pos, facts, default=False)


def _ast_dict(node: ast.Dict, facts: Facts) -> None:
    for key_node, value in zip(node.keys, node.values, strict=True):
        key = _text(key_node)
        if key is None or key_node is None:
            continue
        pos = (key_node.lineno, key_node.col_offset)
        if isinstance(value, ast.Dict) and registry_key(key) and ("/" in key or _entry(value)):
            facts.has_registry = True
            facts.ids.append(Found(key, "registry key", pos))
        else:
            _ast_bind(key, value, pos, facts, default=False)


def _entry(node: ast.Dict) -> bool:
    """A registry entry: a dict with a description, class, task or model type."""
    keys = {_text(k) for k in node.keys}
    return bool(keys & {"description", "class", "task", "model_type", "architecture"})


class Tok(NamedTuple):
    """A token of the fallback scan: kind is ``name``, ``string`` or ``op``; pos an offset."""

    kind: str
    text: str
    pos: tuple[int, int]


_PLAIN_STRING = re.compile(r"""[uU]?(?:"([^"\\\n]*)"|'([^'\\\n]*)')""")


def string_value(tok: Tok) -> str | None:
    """The value of a plain string literal (no bytes, no f-strings), else None."""
    if tok.kind != "string":
        return None
    plain = _PLAIN_STRING.fullmatch(tok.text)
    if plain is not None:
        return plain.group(1) if plain.group(1) is not None else plain.group(2)
    prefix = tok.text[: len(tok.text) - len(tok.text.lstrip("rRbBuUfF"))].lower()
    if "b" in prefix or "f" in prefix or len(tok.text) > 4096:
        return None
    try:
        value = ast.literal_eval(tok.text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


_LEXER = re.compile(
    r"""(?P<comment>\#[^\r\n]*)
    |(?P<string>[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''
        |"(?:[^"\\\r\n]|\\.){0,4096}"|'(?:[^'\\\r\n]|\\.){0,4096}'))
    |(?P<name>[^\W\d]\w*)
    |(?P<op>[()\[\]{}:=,.])""",
    re.VERBOSE,
)


def regex_tokens(text: str) -> list[Tok]:
    """Tokens of any text whatsoever: strings (triple-quoted too), names and the brackets,
    colons, commas, dots and ``=`` the scan needs; everything else is passed over. Unlike
    ``tokenize`` it cannot stop at an error: an unclosed quote is one more character."""
    return [
        Tok(kind, match.group(), (match.start(), 0))
        for match in _LEXER.finditer(text)
        if (kind := match.lastgroup or "comment") != "comment"
    ]


_OPENERS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def facts_from_tokens(toks: list[Tok], index: Index) -> Facts:
    facts = Facts()
    count = len(toks)
    for i, tok in enumerate(toks):
        nxt = toks[i + 1].text if i + 1 < count else ""
        if tok.kind == "name":
            text = tok.text
            if text == "class" and i + 1 < count and toks[i + 1].kind == "name":
                facts.add_class_def(nxt, toks[i + 1].pos)
            elif text == "from_pretrained" and nxt == "(":
                _tok_value(toks[i + 2 : i + 3], facts.ids, "from_pretrained call")
            elif text == "pipeline" and nxt == "(":
                _tok_value(toks[i + 2 : i + 3], facts.tasks, "pipeline call")
                _tok_pipeline_kwargs(toks, i + 2, facts)
            elif nxt == "=" and (i + 2 >= count or toks[i + 2].text != "="):
                _tok_bind(text, toks, i + 2, facts, default=_in_signature(toks, i))
            elif text == "or" and i > 0 and toks[i - 1].kind == "name" and i + 1 < count:
                value = string_value(toks[i + 1])
                if value is not None:
                    facts.add_named(toks[i - 1].text, value, tok.pos, default=True)
            else:
                facts.add_identifier(text, tok.pos, index)
        elif tok.kind == "string" and nxt == ":":
            key = string_value(tok)
            if key is None:
                continue
            if i + 2 < count and toks[i + 2].text == "{" and registry_key(key):
                facts.has_registry = True
                facts.ids.append(Found(key, "registry key", tok.pos))
            else:
                _tok_bind(key, toks, i + 2, facts, default=False)
    return facts


def _tok_value(toks: list[Tok], into: list[Found], source: str) -> None:
    value = string_value(toks[0]) if toks else None
    if value is not None:
        into.append(Found(value, source, toks[0].pos))


def _tok_bind(name: str, toks: list[Tok], start: int, facts: Facts, *, default: bool) -> None:
    """``name = value`` or ``"name": value`` where value is a string or a list of strings."""
    if start >= len(toks):
        return
    value = string_value(toks[start])
    if value is not None:
        facts.add_named(name, value, toks[start].pos, default=default)
    elif name.lower() in TASKS_NAMES and toks[start].text in ("[", "("):
        for tok in toks[start + 1 : start + 64]:
            if tok.text in ("]", ")"):
                break
            task = string_value(tok)
            if task is not None:
                facts.tasks.append(Found(task, "recommended_tasks", tok.pos))


def _tok_pipeline_kwargs(toks: list[Tok], start: int, facts: Facts) -> None:
    depth = 1
    for i in range(start, min(len(toks), start + 256)):
        text = toks[i].text
        depth += _OPENERS.get(text, 0)
        if depth == 0:
            return
        if depth == 1 and toks[i].kind == "name" and i + 2 < len(toks) and toks[i + 1].text == "=":
            value = string_value(toks[i + 2])
            if value is not None and text == "model":
                facts.ids.append(Found(value, "pipeline call", toks[i].pos))
            elif value is not None and text == "task":
                facts.tasks.append(Found(value, "pipeline call", toks[i].pos))


def _in_signature(toks: list[Tok], i: int) -> bool:
    """True when the name at ``i`` is a parameter of a ``def`` (its ``=`` is a default)."""
    depth = 0
    for j in range(i - 1, max(-1, i - 64), -1):
        text = toks[j].text
        if text in (")", "]", "}"):
            depth += 1
        elif text in ("(", "[", "{"):
            if depth == 0:
                return j >= 2 and toks[j - 2].text == "def"
            depth -= 1
    return False


# --- deciding ------------------------------------------------------------------------------


def scan(text: str, index: Index, *, truncated: bool = False) -> tuple[str, Facts]:
    """The facts of ``text`` and the parser that produced them."""
    if not truncated:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            pass
        else:
            return "ast", facts_from_ast(tree, index)
    return "tokens", facts_from_tokens(regex_tokens(text), index)


def decode(data: bytes) -> str | None:
    """The text of a source file, or None for a binary file."""
    if b"\x00" in data[:BINARY_PROBE]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        return None if text.count("\ufffd") > len(text) // 100 + 8 else text


def extract(source: str, data: bytes, index: Index | None = None) -> Extraction:
    """What the legacy file ``source`` (a relative path, ``/``-separated) with bytes ``data``
    tests; a file that is no model test comes back with ``skip_reason`` set."""
    index = registry_index() if index is None else index
    filename = source.rsplit("/", 1)[-1]
    name = legacy_name(filename)
    truncated = len(data) > READ_LIMIT
    text = decode(data[:READ_LIMIT])
    if text is None:
        return Extraction(source, name, "none", skip_reason="binary file, not Python source")
    if not text.strip():
        return Extraction(source, name, "none", skip_reason="empty file")
    if text.startswith(GENERATED_MARK):
        return Extraction(source, name, "none", skip_reason="written by modelgate convert")
    parser, facts = scan(text, index, truncated=truncated)
    reasons = [f"over {READ_LIMIT >> 20} MiB: only the start was read"] if truncated else []
    model_type, evidence = choose_model_type(name, facts, index)
    model_id = choose_model_id(facts, reasons)
    has_shape = bool(facts.test_classes or facts.has_registry or _declares_id(facts))
    if (model_type is None and not has_shape) or not identifier(name):
        return Extraction(source, name, parser, skip_reason=no_model_reason(name, facts))
    if model_type is None:
        return _unknown_type(source, name, parser, facts, model_id, text, reasons)
    if evidence in ("class name", "model id") and not has_shape:
        return Extraction(source, name, parser, skip_reason=no_model_reason(name, facts))
    reasons.insert(0, f"model type {model_type!r} from the {evidence}")
    heads = index.heads[model_type]
    category = index.categories[model_type]
    task, head = choose_task(model_type, heads, facts.tasks, reasons, category=category)
    return Extraction(
        source,
        name,
        parser,
        model_type=model_type,
        known_type=True,
        model_id=model_id,
        task=task,
        head=head,
        category=category,
        reasons=tuple(reasons),
    )


def _unknown_type(
    source: str,
    name: str,
    parser: str,
    facts: Facts,
    model_id: str | None,
    text: str,
    reasons: list[str],
) -> Extraction:
    """A model test whose model type the registry lacks: converted, named after the file."""
    declared = [f.value for f in facts.types if _TYPE_NAME.fullmatch(f.value)]
    model_type = declared[0] if declared else name
    index = registry_index()
    reasons.insert(
        0,
        f"model type {model_type!r} is not in the transformers "
        f"{index.transformers_version} registry",
    )
    tasks = [t for t in (task_name(f.value) for f in _ranked(facts.tasks, TASK_RANKS)) if t]
    task = next((t for t in tasks if t in TASK_HEADS), "feature-extraction")
    head = TASK_HEADS[task][0]
    category = categorize(TASK_HEADS[task]) if task != "feature-extraction" else "text"
    if category == "text" and task in ("feature-extraction", "image-feature-extraction"):
        category = category_from_cues(text)
        reasons.append(f"category {category!r} from the file's content")
    return Extraction(
        source,
        name,
        parser,
        model_type=model_type,
        known_type=False,
        model_id=model_id,
        task=task,
        head=head,
        category=category,
        reasons=tuple(reasons),
    )


def _declares_id(facts: Facts) -> bool:
    """True when the file names its own checkpoint (``model_id`` default or ``MODEL_ID``)."""
    return any(
        f.source in ("model_id default", "MODEL_ID constant") and is_checkpoint_id(f.value)
        for f in facts.ids
    )


def choose_model_type(name: str, facts: Facts, index: Index) -> tuple[str | None, str]:
    """The registry's model type of a file and the evidence for it, best evidence first."""
    found = index.by_norm.get(normalize(name))
    if found is not None:
        return found, "file name"
    for fact in facts.types:
        found = index.by_norm.get(normalize(fact.value))
        if found is not None:
            return found, fact.source
    found = _name_match(re.split(r"[-_.]+", name), "_", index)
    if found is not None:
        return found, "file name"
    for fact in facts.test_classes:
        found = _name_match(_CAMEL.findall(fact.value), "", index)
        if found is not None:
            return found, fact.source
    for fact in facts.classes:
        found = index.by_class.get(fact.value)
        if found is None and fact.value.endswith("Config"):
            found = index.by_norm.get(normalize(fact.value[: -len("Config")]))
        if found is not None:
            return found, "class name"
    for fact in _ranked(facts.ids, ID_RANKS):
        if is_checkpoint_id(fact.value):
            basename = fact.value.rsplit("/", 1)[-1]
            found = _name_match(re.split(r"[-_.]+", basename), "-", index)
            if found is not None:
                return found, "model id"
    return None, ""


def _name_match(parts: list[str], joiner: str, index: Index) -> str | None:
    """The model type a compound name is made of: the longest run of leading ``parts``
    (``bert_base_uncased``), else of trailing ones (``flan_t5``), else the longest type of four
    letters or more that ends it (``codellama``, ``distilgpt2``)."""
    parts = [p for p in parts if p]
    runs = [parts[:end] for end in range(len(parts), 0, -1)]
    runs += [parts[start:] for start in range(1, len(parts))]
    for run in runs:
        found = index.by_norm.get(normalize(joiner.join(run)))
        if found is not None:
            return found
    whole = normalize("".join(parts))
    for start in range(1, len(whole) - 3):
        found = index.by_norm.get(whole[start:])
        if found is not None:
            return found
    return None


def _ranked(facts: list[Found], ranks: dict[str, int]) -> list[Found]:
    return sorted(facts, key=lambda f: (ranks.get(f.source, len(ranks)), f.pos))


def choose_model_id(facts: Facts, reasons: list[str]) -> str | None:
    """The checkpoint the legacy test used by default; ignored values are noted in reasons."""
    ignored: list[str] = []
    for fact in _ranked(facts.ids, ID_RANKS):
        if is_checkpoint_id(fact.value):
            for value in ignored:
                reasons.append(f"ignored model id {show(value)}: not a checkpoint id")
            reasons.append(f"model id from the {fact.source}")
            return fact.value
        if fact.value not in ignored and fact.source != "model id field":
            ignored.append(fact.value)
    for value in ignored:
        reasons.append(f"ignored model id {show(value)}: not a checkpoint id")
    reasons.append("no model id found: MODEL_ID is None, --model-source=pretrained skips")
    return None


def choose_task(
    model_type: str,
    heads: tuple[str, ...],
    found: list[Found],
    reasons: list[str],
    *,
    category: str = "text",
) -> tuple[str, str]:
    """The first task of the file that a head of ``model_type`` serves, else the best one."""
    unknown: list[str] = []
    unfit: list[str] = []
    for fact in _ranked(found, TASK_RANKS):
        task = task_name(fact.value)
        if task not in TASK_HEADS:
            if fact.value not in unknown:
                unknown.append(fact.value)
            continue
        served = [h for h in TASK_HEADS[task] if h in heads]
        if served:
            reasons.append(f"task {task!r} from the {fact.source}")
            return task, served[0]
        if task not in unfit:
            unfit.append(task)
    for task in PREFERRED_TASKS:
        if task == "image-feature-extraction" and category not in ("vision", "multimodal"):
            continue  # its heads include the base head, which text and audio models have too
        served = [h for h in TASK_HEADS[task] if h in heads]
        if served:
            break
    else:
        task, served = heads[0], [heads[0]]
    if unknown:
        named = ", ".join(show(t) for t in unknown[:3])
        reasons.append(f"ignored task {named}: not a pipeline task")
    if unfit:
        named = ", ".join(repr(t) for t in unfit[:3])
        reasons.append(
            f"task {named} does not fit {model_type} (heads: {', '.join(heads)}): "
            f"used {task!r}, the best it supports"
        )
    else:
        reasons.append(f"no usable task found: used {task!r}, the best {model_type} supports")
    return task, served[0]


def category_from_cues(text: str) -> str:
    """The category of a model the registry lacks, from words in its test."""
    sample = text
    if _CUES["multimodal"].search(sample):
        return "multimodal"
    audio = len(_CUES["audio"].findall(sample))
    vision = len(_CUES["vision"].findall(sample))
    if max(audio, vision) < 2:
        return "text"
    return "audio" if audio >= vision else "vision"


def no_model_reason(name: str, facts: Facts) -> str:
    seen = "no Test<Name>Models class, model registry, model type or model id"
    if not identifier(name):
        return f"no model: the file name names none ({name!r}) and the file has {seen}"
    return f"no model: {name!r} is no model type and the file has {seen}"


__all__ = [
    "BASE_HEAD",
    "Extraction",
    "extract",
    "identifier",
    "is_checkpoint_id",
    "legacy_name",
]
