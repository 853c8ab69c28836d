"""What a running fix tells its face: typed events, as probe-rs's flashing progress does (flashing/progress.rs).

A fix announces the phases its steps go through (`EventKind.PHASES`), then for each phase a start (`PHASE`), its
progress (`PROGRESS`, a fraction) and log lines (`LOG`). Faces draw them (commands/fix.py: bars on stderr;
tui/screens/fix.py: progress bars) and never guess a phase from a step's name: each step declares its phases.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Phase(str, Enum):
    """A phase of a repair. A str: an event's phase prints and compares as its name ("erase")."""

    BACKUP = "backup"
    UNLOCK = "unlock"
    ERASE = "erase"
    PROGRAM = "program"
    VERIFY = "verify"
    RESET = "reset"
    REPROBE = "reprobe"

    def __str__(self) -> str:
        return self.value


class EventKind(str, Enum):
    PHASES = "phases"  # the phases this run goes through, in order (FixEvent.phases)
    PHASE = "phase"  # a phase starts
    PROGRESS = "progress"  # the running phase's fraction done
    LOG = "log"  # a line for the log

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FixEvent:
    kind: EventKind
    phase: Phase | None
    fraction: float | None
    message: str
    # A write step is under way (unlock, erase, program, verify, vector table): do not cancel, do not unplug. Every
    # event of a write step is writing=True, so StopRequested raised on a writing=False event never cuts a write.
    writing: bool = False
    phases: tuple[Phase, ...] = ()

    @classmethod
    def announce(cls, phases: tuple[Phase, ...]) -> FixEvent:
        return cls(EventKind.PHASES, None, None, "", False, tuple(phases))

    @classmethod
    def start(cls, phase: Phase, message: str, writing: bool, fraction: float | None = None) -> FixEvent:
        return cls(EventKind.PHASE, phase, fraction, message, writing)

    @classmethod
    def progress(cls, phase: Phase, fraction: float, message: str, writing: bool) -> FixEvent:
        return cls(EventKind.PROGRESS, phase, fraction, message, writing)

    @classmethod
    def log(cls, phase: Phase, message: str, writing: bool) -> FixEvent:
        return cls(EventKind.LOG, phase, None, message, writing)


Emit = Callable[[FixEvent], None]


class StopRequested(Exception):
    """The user asked to stop: `should_stop()` said so before a step, or `on_event` raised it on an event with
    writing=False (inside a read-only step: backup, reset, reprobe). The plan ends there, at a safe point (never
    mid-write), with ok=False and `stopped` set; the next `fix` finishes the job."""


def progress_callback(emit: Emit, phase: Phase, message: str, writing: bool, *,
                      announce: bool = False) -> Callable[[float], None]:
    """A progress callback for `phase` (at most one event per 2 %); with announce, the first call also starts the
    phase (its label)."""
    last = [-1.0]

    def cb(fraction: float) -> None:
        if announce and last[0] < 0:
            emit(FixEvent.start(phase, message, writing, 0.0))
        if fraction >= 1.0 or fraction - last[0] >= 0.02:
            last[0] = fraction
            emit(FixEvent.progress(phase, max(0.0, min(1.0, fraction)), message, writing))
    return cb
