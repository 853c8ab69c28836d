"""Module attributes built on first access.

pyOCD imports every `pyocd.probe` plugin while it imports itself. A module of ours that pyOCD's plugin loading can
reach must therefore not import pyOCD at import time, or importing it first starts that cycle half-way: such a module
builds its pyOCD subclasses on first access instead, through a module-level `__getattr__ = lazy_attribute(...)`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def lazy_attribute(name: str, build: Callable[[], Any]) -> Callable[[str], Any]:
    """A module `__getattr__` that builds `name` once, on first access."""
    cache: dict[str, Any] = {}

    def __getattr__(attr: str) -> Any:
        if attr != name:
            raise AttributeError(attr)
        if name not in cache:
            cache[name] = build()
        return cache[name]

    return __getattr__
