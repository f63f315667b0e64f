"""``-k`` expressions, with the meaning pytest gives them, for the ``modelgate`` commands.

``bert``, ``bert or gpt``, ``not slow and (vit or clip)``: each word matches a name containing
it, ignoring case; ``and``, ``or``, ``not`` and parentheses combine them, ``not`` binding
tightest, then ``and``, then ``or``. A word holding one of ``*?[`` is a glob over the whole
name instead (``model-0*``). Parsed here, with no pytest import, so that the command line stays
light.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

Matcher = Callable[[str], bool]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_OPERATORS = frozenset({"and", "or", "not"})


class KeywordError(ValueError):
    """An expression that cannot be read; the message says where."""


def _word(word: str) -> Matcher:
    lowered = word.lower()
    if any(c in word for c in "*?["):
        return lambda name: fnmatch.fnmatchcase(name.lower(), lowered)
    return lambda name: lowered in name.lower()


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _TOKEN.findall(expression)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise KeywordError(f"-k {self.expression!r}: ends where a word was expected")
        self.at += 1
        return token

    def any_of(self) -> Matcher:
        parts = [self.all_of()]
        while self.peek() == "or":
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else lambda name: any(p(name) for p in parts)

    def all_of(self) -> Matcher:
        parts = [self.negated()]
        while self.peek() == "and":
            self.take()
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else lambda name: all(p(name) for p in parts)

    def negated(self) -> Matcher:
        if self.peek() == "not":
            self.take()
            inner = self.negated()
            return lambda name: not inner(name)
        return self.single()

    def single(self) -> Matcher:
        token = self.take()
        if token == "(":
            inner = self.any_of()
            if self.take() != ")":
                raise KeywordError(f"-k {self.expression!r}: a '(' is not closed")
            return inner
        if token == ")" or token in _OPERATORS:
            raise KeywordError(f"-k {self.expression!r}: unexpected {token!r}")
        return _word(token)


def matcher(expression: str | None) -> Matcher:
    """What ``-k expression`` keeps (everything when there is none); ``KeywordError`` names
    what cannot be read."""
    if not expression or not expression.strip():
        return lambda name: True
    parser = _Parser(expression)
    kept = parser.any_of()
    if parser.peek() is not None:
        raise KeywordError(f"-k {expression!r}: unexpected {parser.peek()!r}")
    return kept
