"""Facts of a legacy script, read without ever running it.

A file is parsed with ``ast`` when it is valid Python. Most legacy scripts are not (template
placeholders, statements pasted on one line, broken indentation, ``try:`` with no body), so then
its tokens are scanned instead, by a tolerant regex tokenizer (the standard ``tokenize`` stops
at the first unclosed string or bracket, and is slower). Both give the same facts: model types,
model ids, tasks and class names, each with where it came from, for ``extract`` to weigh.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any, Final

from pytest_modelgate.models.catalog import TASK_HEADS

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

_CHECKPOINT = re.compile(r"[A-Za-z0-9][\w.\-]{0,95}(?:/[A-Za-z0-9][\w.\-]{0,95})?", re.ASCII)
_TEST_CLASS = re.compile(r"Test(\w+?)Models?")
# ``BERT_MODELS_REGISTRY = {`` names the model of a family template; read from the text, as a
# name like ``DECODER-ONLY`` is no identifier and tokenizes as two.
_REGISTRY_NAME = re.compile(r"^[ \t]*([A-Za-z][\w\-]{0,63}?)_MODELS?_REGISTRY[ \t]*=", re.M)


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
    registry_names: list[Found] = field(default_factory=list)
    has_registry: bool = False

    def add_named(self, name: str, value: str, pos: tuple[int, int], *, default: bool) -> None:
        """A string ``value`` bound to ``name`` (assignment, argument default, keyword, key)."""
        key = name.lower()
        if key in ID_NAMES:
            if default:
                source = "model_id default"
            elif name in ID_CONSTANTS:
                source = "MODEL_ID constant"
            elif key == "model_id":
                source = "model_id assignment"
            else:
                source = "model id field"
            self.ids.append(Found(value, source, pos))
        elif key in TASK_NAMES:
            self.tasks.append(Found(value, "task field", pos))
        elif key in TYPE_NAMES:
            self.types.append(Found(value, f"{name} field", pos))
        elif key in CLASS_NAMES:
            self.classes.append(Found(value, f"{name} field", pos))

    def add_identifier(self, name: str, pos: tuple[int, int], classes: Container[str]) -> None:
        if name in classes or (name.endswith("Config") and len(name) > 6):
            self.classes.append(Found(name, "class name", pos))

    def add_class_def(self, name: str, pos: tuple[int, int]) -> None:
        match = _TEST_CLASS.fullmatch(name)
        if match is not None:
            self.test_classes.append(Found(match.group(1), f"class {name}", pos))


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


def scan(text: str, classes: Container[str], *, truncated: bool = False) -> tuple[str, Facts]:
    """The facts of ``text`` and the parser that produced them (``ast`` or ``tokens``).

    ``classes`` are the model class names to note (``BertForMaskedLM``; names ending in
    ``Config`` are noted too); a ``truncated`` text is only tokenized: it cannot parse whole.
    """
    if not truncated:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            pass
        else:
            return "ast", registry_names(text, facts_from_ast(tree, classes))
    return "tokens", registry_names(text, facts_from_tokens(regex_tokens(text), classes))


def registry_names(text: str, facts: Facts) -> Facts:
    """Note the names of the file's ``<NAME>_MODELS_REGISTRY`` assignments in ``facts``."""
    for match in _REGISTRY_NAME.finditer(text):
        facts.registry_names.append(
            Found(match.group(1), f"{match.group(1)}_MODELS_REGISTRY name", (match.start(), 0))
        )
    return facts


def facts_from_ast(tree: ast.AST, classes: Container[str]) -> Facts:
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
            handle(node, facts, classes)
        if isinstance(node, ast.If) and (live := _static_test(node)) is not None:
            # ``if "feature-extraction" == "text-generation":`` never runs: only the live
            # branch's facts count (its dead one names another model's checkpoint).
            stack.extend(node.body if live else node.orelse)
            continue
        if kind not in fields:
            fields[kind] = _child_fields(kind)
        for name in fields[kind]:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return facts


def _static_test(node: ast.If) -> bool | None:
    """The value of an ``if`` that compares two string literals, else None."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, right = _text(test.left), _text(test.comparators[0])
    if left is None or right is None:
        return None
    if isinstance(test.ops[0], ast.Eq):
        return left == right
    if isinstance(test.ops[0], ast.NotEq):
        return left != right
    return None


_LEAVES = frozenset({ast.Constant, ast.JoinedStr, ast.BinOp, ast.Compare, ast.Name})
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops"})


def _child_fields(kind: type) -> tuple[str, ...]:
    if kind in _LEAVES:
        return ()
    return tuple(f for f in getattr(kind, "_fields", ()) if f not in _SKIPPED_FIELDS)


def _on_name(node: Any, facts: Facts, classes: Container[str]) -> None:
    if node.id[0].isupper():
        facts.add_identifier(node.id, _pos(node), classes)


def _on_attribute(node: Any, facts: Facts, classes: Container[str]) -> None:
    if node.attr[0].isupper():
        facts.add_identifier(node.attr, _pos(node), classes)


def _on_call(node: Any, facts: Facts, classes: Container[str]) -> None:
    _ast_call(node, _pos(node), facts)


def _on_dict(node: Any, facts: Facts, classes: Container[str]) -> None:
    _ast_dict(node, facts)


def _on_assign(node: Any, facts: Facts, classes: Container[str]) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        name = _target_name(target)
        if name is not None and node.value is not None:
            _ast_bind(name, node.value, _pos(node), facts, default=False)


def _on_bool_op(node: Any, facts: Facts, classes: Container[str]) -> None:
    if isinstance(node.op, ast.Or):
        _ast_or_default(node, _pos(node), facts)


def _on_function(node: Any, facts: Facts, classes: Container[str]) -> None:
    _ast_defaults(node.args, facts)


def _on_class(node: Any, facts: Facts, classes: Container[str]) -> None:
    facts.add_class_def(node.name, _pos(node))


_AST_HANDLERS: dict[type, Callable[[Any, Facts, Container[str]], None]] = {
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


# A token of the fallback scan: (kind, text, offset), kind ``name``, ``string`` or ``op``. Plain
# tuples: a legacy suite is thousands of tokens per file, and a named tuple costs twice the time.
Tok = tuple[str, str, int]
KIND: Final = 0
TEXT: Final = 1
OFFSET: Final = 2

# Names whose ``name = "value"`` is a fact; other assignments are passed over unread.
BOUND_NAMES = ID_NAMES | TASK_NAMES | TASKS_NAMES | TYPE_NAMES | CLASS_NAMES

_PLAIN_STRING = re.compile(r"""[uU]?(?:"([^"\\\n]*)"|'([^'\\\n]*)')""")


def string_value(tok: Tok) -> str | None:
    """The value of a plain string literal (no bytes, no f-strings), else None."""
    kind, text, _ = tok
    if kind != "string":
        return None
    plain = _PLAIN_STRING.fullmatch(text)
    if plain is not None:
        return plain.group(1) if plain.group(1) is not None else plain.group(2)
    prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))].lower()
    if "b" in prefix or "f" in prefix or len(text) > 4096:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


_LEXER = re.compile(
    r"""(?P<comment>\#[^\r\n]*)
    |(?P<string>[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''
        |"(?:[^"\\\r\n]|\\.){0,4096}"|'(?:[^'\\\r\n]|\\.){0,4096}'))
    |(?P<name>[^\W\d]\w*)
    |(?P<op>[()\[\]{}:=])""",
    re.VERBOSE,
)


def regex_tokens(text: str) -> list[Tok]:
    """Tokens of any text whatsoever: strings (triple-quoted too), names, brackets, colons and
    ``=``; everything else is passed over. Unlike ``tokenize`` it cannot stop at an error: an
    unclosed quote is one more character."""
    return [
        (kind, match.group(), match.start())
        for match in _LEXER.finditer(text)
        if (kind := match.lastgroup or "comment") != "comment"
    ]


_OPENERS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def facts_from_tokens(toks: list[Tok], classes: Container[str]) -> Facts:
    facts = Facts()
    count = len(toks)
    for i, (kind, text, offset) in enumerate(toks):
        nxt = toks[i + 1][TEXT] if i + 1 < count else ""
        if kind == "name":
            if text == "class" and i + 1 < count and toks[i + 1][KIND] == "name":
                facts.add_class_def(nxt, (toks[i + 1][OFFSET], 0))
            elif text == "from_pretrained" and nxt == "(":
                _tok_value(toks[i + 2 : i + 3], facts.ids, "from_pretrained call")
            elif text == "pipeline" and nxt == "(":
                _tok_value(toks[i + 2 : i + 3], facts.tasks, "pipeline call")
                _tok_pipeline_kwargs(toks, i + 2, facts)
            elif nxt == "=":
                if text.lower() in BOUND_NAMES and (i + 2 >= count or toks[i + 2][TEXT] != "="):
                    _tok_bind(text, toks, i + 2, facts, default=_in_signature(toks, i))
            elif text == "or" and i > 0 and toks[i - 1][KIND] == "name" and i + 1 < count:
                value = string_value(toks[i + 1])
                if value is not None:
                    facts.add_named(toks[i - 1][TEXT], value, (offset, 0), default=True)
            elif text[0].isupper():
                facts.add_identifier(text, (offset, 0), classes)
        elif kind == "string" and nxt == ":":
            key = string_value(toks[i])
            if key is None:
                continue
            if i + 2 < count and toks[i + 2][TEXT] == "{" and registry_key(key):
                facts.has_registry = True
                facts.ids.append(Found(key, "registry key", (offset, 0)))
            else:
                _tok_bind(key, toks, i + 2, facts, default=False)
    return facts


def _tok_value(toks: list[Tok], into: list[Found], source: str) -> None:
    value = string_value(toks[0]) if toks else None
    if value is not None:
        into.append(Found(value, source, (toks[0][OFFSET], 0)))


def _tok_bind(name: str, toks: list[Tok], start: int, facts: Facts, *, default: bool) -> None:
    """``name = value`` or ``"name": value`` where value is a string or a list of strings."""
    if start >= len(toks):
        return
    value = string_value(toks[start])
    if value is not None:
        facts.add_named(name, value, (toks[start][OFFSET], 0), default=default)
    elif name.lower() in TASKS_NAMES and toks[start][TEXT] in ("[", "("):
        for tok in toks[start + 1 : start + 64]:
            if tok[TEXT] in ("]", ")"):
                break
            task = string_value(tok)
            if task is not None:
                facts.tasks.append(Found(task, "recommended_tasks", (tok[OFFSET], 0)))


def _tok_pipeline_kwargs(toks: list[Tok], start: int, facts: Facts) -> None:
    depth = 1
    for i in range(start, min(len(toks), start + 256)):
        kind, text, offset = toks[i]
        depth += _OPENERS.get(text, 0)
        if depth == 0:
            return
        if depth == 1 and kind == "name" and i + 2 < len(toks) and toks[i + 1][TEXT] == "=":
            value = string_value(toks[i + 2])
            if value is not None and text == "model":
                facts.ids.append(Found(value, "pipeline call", (offset, 0)))
            elif value is not None and text == "task":
                facts.tasks.append(Found(value, "pipeline call", (offset, 0)))


def _in_signature(toks: list[Tok], i: int) -> bool:
    """True when the name at ``i`` is a parameter of a ``def`` (its ``=`` is a default)."""
    depth = 0
    for j in range(i - 1, max(-1, i - 64), -1):
        text = toks[j][TEXT]
        if text in (")", "]", "}"):
            depth += 1
        elif text in ("(", "[", "{"):
            if depth == 0:
                return j >= 2 and toks[j - 2][TEXT] == "def"
            depth -= 1
    return False
