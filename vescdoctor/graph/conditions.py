"""A small, safe condition language over facts, answers and findings. No eval: a tokenizer, a recursive-descent
parser into tuples, and an evaluator that never raises on data (a comparison of mismatched types is just false).

    expr    := or_expr
    or_expr := and_expr ("or" and_expr)*
    and_expr:= not_expr ("and" not_expr)*
    not_expr:= "not" not_expr | compare
    compare := term (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") term)?
    term    := NAME | STRING | NUMBER | true | false | null | "[" [term ("," term)*] "]"
             | FUNC "(" [term ("," term)*] ")" | "(" expr ")"

NAME is a fact (`swd.rdp_level`) or an answer (`answer.led`): letters, digits, `_`, `-`, `.`.
Functions: found("code") is true when that finding was recorded; known(name) is true when the fact is not null;
count(name) is the length of a list fact (0 when null).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FUNCTIONS = ("found", "known", "count")
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>-?0[xX][0-9a-fA-F]+|-?\d+(?:\.\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)
""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
# Bounds that keep a hostile graph from exhausting the stack or the CPU (issue 12, item 5): no real condition comes
# near them. The trees are walked recursively, so a long `a and b and ...` chain counts as well as `((((`.
MAX_TOKENS = 500
MAX_DEPTH = 32
MAX_DIGITS = 20


class ConditionError(ValueError):
    """A condition that does not parse; the message says where."""


@dataclass(frozen=True)
class Condition:
    text: str
    tree: tuple

    def evaluate(self, lookup: Callable[[str], Any], found: Callable[[str], bool]) -> bool:
        return bool(_eval(self.tree, lookup, found))

    def names(self) -> set[str]:
        """Every fact/answer name the condition reads (including through known() and count())."""
        return set(_walk(self.tree, "name"))

    def found_codes(self) -> set[str]:
        return set(_walk(self.tree, "found"))

    def compared_literals(self) -> list[tuple[str, Any]]:
        """(name, literal) pairs from `name == lit`, `name != lit` and `name in [..]`: lets the checker validate
        answer codes used in conditions."""
        return list(_comparisons(self.tree))


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    pos, out = 0, []
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ConditionError(f"unexpected {text[pos]!r} at column {pos + 1}")
        kind = match.lastgroup or ""  # every alternative of _TOKEN is a named group
        if kind != "ws":
            value = match.group(kind)
            if kind == "name" and value in _KEYWORDS:
                kind = "kw"
            out.append((kind, value, pos))
        pos = match.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        if len(self.tokens) > MAX_TOKENS:
            raise ConditionError(f"too long: {len(self.tokens) - 1} tokens (at most {MAX_TOKENS})")
        self.i = 0
        self.depth = 0

    def deeper(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"nested more than {MAX_DEPTH} deep at column {pos + 1}")

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            want = value or kind
            got = tok[1] or "the end"
            raise ConditionError(f"expected {want!r} at column {tok[2] + 1}, found {got!r}")
        self.i += 1
        return tok

    def accept(self, kind: str, value: str) -> bool:
        tok = self.peek()
        if tok[0] == kind and tok[1] == value:
            self.i += 1
            return True
        return False

    def parse(self) -> tuple:
        tree = self.or_expr()
        if self.peek()[0] != "end":
            tok = self.peek()
            raise ConditionError(f"unexpected {tok[1]!r} at column {tok[2] + 1}")
        return tree

    def or_expr(self) -> tuple:
        left = self.and_expr()
        while self.accept("kw", "or"):
            left = ("or", left, self.and_expr())
        return left

    def and_expr(self) -> tuple:
        left = self.not_expr()
        while self.accept("kw", "and"):
            left = ("and", left, self.not_expr())
        return left

    def not_expr(self) -> tuple:
        pos = self.peek()[2]
        if self.accept("kw", "not"):
            self.deeper(pos)
            tree = ("not", self.not_expr())
            self.depth -= 1
            return tree
        return self.compare()

    def compare(self) -> tuple:
        left = self.term()
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            return ("cmp", tok[1], left, self.term())
        if self.accept("kw", "in"):
            return ("cmp", "in", left, self.term())
        if tok[0] == "kw" and tok[1] == "not" and self.tokens[self.i + 1][1] == "in":
            self.i += 2
            return ("cmp", "not in", left, self.term())
        return left

    def term(self) -> tuple:
        kind, value, pos = self.peek()
        if kind == "num":
            if len(value.lstrip("-")) > MAX_DIGITS:
                raise ConditionError(f"a number of {len(value.lstrip('-'))} digits at column {pos + 1} (at most "
                                     f"{MAX_DIGITS})")
            self.i += 1
            return ("lit", int(value, 0) if "." not in value else float(value))
        if kind == "str":
            self.i += 1
            return ("lit", bytes(value[1:-1], "utf-8").decode("unicode_escape"))
        if kind == "kw" and value in ("true", "false", "null"):
            self.i += 1
            return ("lit", {"true": True, "false": False, "null": None}[value])
        if kind == "op" and value == "[":
            self.i += 1
            self.deeper(pos)
            self.depth -= 1  # a list holds literals only: one level
            items = []
            if not self.accept("op", "]"):
                items.append(self.literal_term())
                while self.accept("op", ","):
                    items.append(self.literal_term())
                self.take("op", "]")
            return ("lit", tuple(items))
        if kind == "op" and value == "(":
            self.i += 1
            self.deeper(pos)
            inner = self.or_expr()
            self.take("op", ")")
            self.depth -= 1
            return inner
        if kind == "name":
            self.i += 1
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                if value not in FUNCTIONS:
                    raise ConditionError(f"unknown function {value!r} at column {pos + 1} "
                                         f"(known: {', '.join(FUNCTIONS)})")
                self.take("op", "(")
                arg = self.take()
                self.take("op", ")")
                if value == "found":
                    if arg[0] != "str":
                        raise ConditionError(f"found() takes a quoted verdict code, at column {arg[2] + 1}")
                    return ("found", arg[1][1:-1])
                if arg[0] != "name":
                    raise ConditionError(f"{value}() takes a fact name, at column {arg[2] + 1}")
                return (value, ("name", arg[1]))
            return ("name", value)
        raise ConditionError(f"expected a value at column {pos + 1}, found {value or 'the end'!r}")

    def literal_term(self) -> Any:
        tree = self.term()
        if tree[0] != "lit":
            raise ConditionError("a list holds literal values only")
        return tree[1]


def parse(text: str) -> Condition:
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("empty condition")
    return Condition(text, _Parser(text).parse())


def _eval(tree: tuple, lookup: Callable[[str], Any], found: Callable[[str], bool]) -> Any:
    op = tree[0]
    if op == "lit":
        return tree[1]
    if op == "name":
        return lookup(tree[1])
    if op == "found":
        return found(tree[1])
    if op == "known":
        return lookup(tree[1][1]) is not None
    if op == "count":
        value = lookup(tree[1][1])
        return len(value) if isinstance(value, (list, tuple, dict, str)) else 0
    if op == "not":
        return not _eval(tree[1], lookup, found)
    if op == "and":
        return bool(_eval(tree[1], lookup, found)) and bool(_eval(tree[2], lookup, found))
    if op == "or":
        return bool(_eval(tree[1], lookup, found)) or bool(_eval(tree[2], lookup, found))
    if op == "cmp":
        return _compare(tree[1], _eval(tree[2], lookup, found), _eval(tree[3], lookup, found))
    raise AssertionError(op)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op in ("in", "not in"):
        try:
            result = left in right if right is not None else False
        except TypeError:
            result = False
        return result if op == "in" else not result
    if left is None or right is None or isinstance(left, bool) != isinstance(right, bool):
        return False
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    except TypeError:
        return False


def _walk(tree: tuple, want: str):
    if tree[0] == want:
        yield tree[1]
    if tree[0] in ("known", "count") and want == "name":
        yield tree[1][1]
    for child in tree[1:]:
        if isinstance(child, tuple) and child and isinstance(child[0], str) and child[0] in (
                "lit", "name", "found", "known", "count", "not", "and", "or", "cmp"):
            yield from _walk(child, want)


def _comparisons(tree: tuple):
    if tree[0] == "cmp" and tree[1] in ("==", "!=", "in", "not in"):
        left, right = tree[2], tree[3]
        if left[0] == "name" and right[0] == "lit":
            values = right[1] if isinstance(right[1], tuple) else (right[1],)
            for value in values:
                yield left[1], value
    for child in tree[1:]:
        if isinstance(child, tuple) and child and child[0] in ("not", "and", "or", "cmp"):
            yield from _comparisons(child)


def evaluate(condition: Condition, facts: Mapping[str, Any], findings: set[str] | list[str]) -> bool:
    """Evaluate against a facts mapping (answers live in it as `answer.<id>`)."""
    found = set(findings)
    return condition.evaluate(lambda name: facts.get(name), lambda code: code in found)
