"""The registry of fix actions by name, so the graph checker can reject a name nobody registered.

A fix action is a step of a repair (backup, unlock, erase, program, verify, reset ...). Its implementation lives in
its own module; here only its name, whether it destroys data, the facts it establishes and a title are recorded.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FixSpec:
    name: str
    destructive: bool
    title: str
    provides: tuple[str, ...] = ()


FIXES: dict[str, FixSpec] = {}


def register_fix(name: str, *, destructive: bool, title: str, provides: tuple[str, ...] = ()) -> FixSpec:
    spec = FixSpec(name, destructive, title, provides)
    if name in FIXES and FIXES[name] != spec:
        raise ValueError(f"fix {name!r} registered twice, differently")
    FIXES[name] = spec
    return spec
