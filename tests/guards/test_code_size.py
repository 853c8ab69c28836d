"""Code style guard (docs/testing.md, "Guards"): no function outside vescdoctor/sim/ is longer than 60 lines.

Complexity (mccabe <= 15) is ruff's C901; this is its companion for length, with the same allow-list: a file whose
[tool.ruff.lint.per-file-ignores] entry in pyproject.toml waives C901 (the simulator, and the files being split in
the engine refactor) is waived here too, so there is one list to shrink."""
from __future__ import annotations

import ast
import fnmatch

import pytest

from testdata import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli", reason="tomllib (Python 3.11+) or tomli reads pyproject.toml")

MAX_LINES = 60


def waived_globs() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ignores = config["tool"]["ruff"]["lint"].get("per-file-ignores", {})
    return [glob for glob, rules in ignores.items() if "C901" in rules]


def long_functions(max_lines: int = MAX_LINES) -> list[str]:
    waived = waived_globs()
    found = []
    for path in sorted((ROOT / "vescdoctor").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if any(fnmatch.fnmatch(name, glob) for glob in waived):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=name)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > max_lines:
                    found.append(f"{name}:{node.lineno}: {node.name} is {length} lines (at most {max_lines})")
    return found


def test_no_function_outside_the_simulator_is_over_60_lines():
    assert long_functions() == []


def test_the_guard_sees_a_long_function():
    assert long_functions(max_lines=5), "the walk found no function at all: the guard would pass on anything"


def test_the_simulator_is_waived():
    assert "vescdoctor/sim/**" in waived_globs()
