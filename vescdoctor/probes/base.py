"""The probe contract: a registry of named probes, their declared facts, and the context they run in.

A probe is `func(ctx: ProbeContext) -> ProbeResult`. It must set every fact it declares in `provides` (None where
unknown), so that the graph checker can prove which facts are established on each path. Probes never print and never
write to the chip; they say what they saw in `transcript` lines and report progress through ctx.emit.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProbeResult:
    facts: dict[str, Any]
    transcript: list[str] = field(default_factory=list)
    ok: bool = True  # False: the probe could not do its job (its facts still exist, with None where unknown)
    error: str | None = None  # one line, when not ok


@dataclass
class ProbeContext:
    """What a probe may use: the hardware environment, the facts and answers so far, and an event sink."""

    env: Any  # vescdoctor.environment.Environment: USB backend, serial discovery, pyOCD probe id (real or bench)
    facts: Mapping[str, Any]
    answers: Mapping[str, str]
    emit: Callable[[str], None] = lambda line: None  # live transcript (TUI) / progress (CLI stderr)


ProbeFunc = Callable[[ProbeContext], ProbeResult]


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    func: ProbeFunc
    provides: tuple[str, ...]
    title: str  # what a user sees while it runs, e.g. "Looking at USB"


REGISTRY: dict[str, ProbeSpec] = {}


def probe(name: str, provides: list[str] | tuple[str, ...], title: str) -> Callable[[ProbeFunc], ProbeFunc]:
    """Register a probe under `name`, declaring every fact it establishes."""

    def register(func: ProbeFunc) -> ProbeFunc:
        if name in REGISTRY:
            raise ValueError(f"probe {name!r} registered twice")
        REGISTRY[name] = ProbeSpec(name, func, tuple(provides), title)
        return func

    return register


def run_probe(name: str, ctx: ProbeContext) -> ProbeResult:
    """Run a registered probe and check it kept its contract (every declared fact set, nothing undeclared)."""
    spec = REGISTRY[name]
    result = spec.func(ctx)
    missing = [f for f in spec.provides if f not in result.facts]
    extra = [f for f in result.facts if f not in spec.provides]
    if missing or extra:
        raise RuntimeError(f"probe {name!r} broke its contract: missing {missing}, undeclared {extra}")
    return result
