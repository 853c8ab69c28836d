"""The fix steps: one module per step, each holding one `STEP = Step(...)`: its name, title, whether it destroys
data, the image it needs, the phases it goes through, what the plan says it does, and how it runs.

The plan (fixes/plan.py), the checker of rules/plans.yaml, the graph's fix names, the CLI's bars, the TUI's bars and
journal and the report all read a step from here. Adding a step is a new module in this package plus its name in
rules/plans.yaml (docs/architecture.md).
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..events import Emit, FixEvent, Phase, progress_callback

if TYPE_CHECKING:
    from ...environment import Environment
    from ...swdlink import SwdLink
    from ..execute import FixOutcome
    from ..plan import Plan


@dataclass(frozen=True)
class StepResult:
    detail: str  # one line for the report and the summary
    file: str | None = None  # a file the step wrote (the backup)


@dataclass
class StepContext:
    """What a running step may use: the plan, the environment and its connected SWD link, the event sink, the
    outcome so far (a backup step adds its backup), where backups go and the user's answers."""

    plan: Plan
    env: Environment
    link: SwdLink
    emit: Emit
    outcome: FixOutcome
    backup_dir: Path
    answers: dict[str, str] = field(default_factory=dict)

    def start(self, phase: Phase, message: str, writing: bool, fraction: float | None = None) -> None:
        self.emit(FixEvent.start(phase, message, writing, fraction))

    def done(self, phase: Phase, message: str, writing: bool) -> None:
        self.emit(FixEvent.progress(phase, 1.0, message, writing))

    def log(self, phase: Phase, message: str, writing: bool) -> None:
        self.emit(FixEvent.log(phase, message, writing))

    def progress(self, phase: Phase, message: str, writing: bool, *,
                 announce: bool = False) -> Callable[[float], None]:
        return progress_callback(self.emit, phase, message, writing, announce=announce)


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    destructive: bool
    phases: tuple[Phase, ...]  # the phases it goes through; the first one starts it
    run: Callable[[StepContext], StepResult]
    needs: str | None = None  # the image file it writes: "bootloader" | "firmware" (None: none)
    provides: tuple[str, ...] = ()  # facts it establishes, for the graph checker
    describe: Callable[[Plan], str] | None = None  # the plan's detail line for this step

    def detail(self, plan: Plan) -> str:
        return self.describe(plan) if self.describe is not None else ""


def _discover() -> dict[str, Step]:
    steps: dict[str, Step] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_"):
            continue  # helpers shared by steps
        step: Any = getattr(importlib.import_module(f"{__name__}.{module.name}"), "STEP", None)
        if not isinstance(step, Step):
            raise TypeError(f"{__name__}.{module.name} defines no STEP = Step(...)")
        if step.name in steps:
            raise ValueError(f"fix step {step.name!r} defined twice")
        steps[step.name] = step
    return steps


STEPS: dict[str, Step] = _discover()


def plan_phases(step_names: list[str]) -> tuple[Phase, ...]:
    """The phases the steps go through, in the order phases come (what the faces draw a bar for)."""
    found = {phase for name in step_names for phase in STEPS[name].phases}
    return tuple(phase for phase in Phase if phase in found)
