"""Run a fix plan on a board: each step of the plan (fixes/steps/) in turn, over the environment's SWD link. Never
prints.

Progress goes to `on_event` as typed FixEvents (fixes/events.py). Any failure (probe lost, power lost, verify
mismatch) ends the run with ok=False and a one-line message naming the backup; the board is left so that a fresh
diagnosis sees what is still wrong and the next `fix` finishes the job.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ChipChanged, FixError, WrongChip
from ..report.text import STOPPED_BY_USER
from ..target import proven_flash
from ..target.chip_id import require_vesc_chip
from .backup import chip_meta
from .events import FixEvent, StopRequested
from .failures import describe_failure
from .plan import Plan
from .steps import STEPS, StepContext, plan_phases

if TYPE_CHECKING:
    from ..diagnosis import Diagnosis
    from ..environment import Environment

LOG = logging.getLogger(__name__)

# What the fresh look may say after a fix that did its job: a board whose firmware takes the SWD pins answers only
# under reset, and that is a finding, not a failure (spec/verdicts.md).
DONE_VERDICTS = frozenset({"healthy", "swd-needs-reset"})

__all__ = ["FixEvent", "FixOutcome", "Resume", "StopRequested", "execute_plan"]


class Resume(str, Enum):
    """What running the fix again does after this outcome (each face says how to run it)."""

    FINISH = "finish"  # finishes the job begun
    RETRY = "retry"  # makes a new plan for the chip as it is now


@dataclass
class FixOutcome:
    ok: bool
    actions: list[dict[str, Any]] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    after: Diagnosis | None = None  # the fresh look, when it ran
    unreachable: bool = False  # the chip could not be reached at the start: nothing was done
    stopped: bool = False  # the user asked to stop (StopRequested) and the plan ended at a safe point
    resume: Resume | None = None  # running the fix again is what to do next

    @property
    def backup_note(self) -> str:
        """"; backup: FILE" for the outcome's message once a backup was made (the first one: the flash before)."""
        return f"; backup: {self.backups[0]['file']}" if self.backups else ""


class _Stops:
    """Where a stop the user asked for may land. A stop asked for on an event of a step that has begun writing waits
    for the step's end: the step is done (and recorded so), the stop lands before the next one. Events of write steps
    are writing=True, so a caller that raises StopRequested only on writing=False events never gets here; this
    keeps a stray one from lying. Once the last write is verified, a stop skips only the fresh look: the reset still
    runs (it starts the firmware just written; a chip left halted would look dead) and the repair counts as done."""

    def __init__(self, on_event: Callable[[FixEvent], None], should_stop: Callable[[], bool] | None):
        self.on_event, self.should_stop = on_event, should_stop
        self.deferred = self.writing = self.finishing = False

    def emit(self, event: FixEvent) -> None:
        self.writing = self.writing or event.writing
        try:
            self.on_event(event)
        except StopRequested:
            if not (self.writing or self.finishing):
                raise
            self.deferred = True

    def announce(self, event: FixEvent) -> None:
        """An event outside any step: a stop asked for on it lands before the first step."""
        try:
            self.on_event(event)
        except StopRequested:
            self.deferred = True

    def before_step(self, finishing: bool) -> None:
        """Between steps (no write under way): stop here if asked to; then the next step begins."""
        self.finishing = finishing
        asked = self.deferred or (self.should_stop is not None and self.should_stop())
        if asked and not finishing:
            raise StopRequested
        self.writing = False


def execute_plan(plan: Plan, env: Environment, *, on_event: Callable[[FixEvent], None], backup_dir: Path,
                 answers: dict[str, str] | None = None, should_stop: Callable[[], bool] | None = None) -> FixOutcome:
    outcome = FixOutcome(ok=False)
    stops = _Stops(on_event, should_stop)
    link = env.swd
    if not link.connected and not link.connect():
        why = link.probe_error or (link.attempts[-1].error if link.attempts else "no answer")
        outcome.unreachable = True
        outcome.message = f"the chip could not be reached over SWD ({why}); nothing was changed"
        return outcome
    ctx = StepContext(plan, env, link, stops.emit, outcome, Path(backup_dir), dict(answers or {}))
    step_name, begun = "connect", True
    try:
        require_vesc_chip(link.target)  # the chip identity gate (wrong-chip): before any step, backup included
        if plan.board_uid and chip_meta(link.target)["board_uid"] != plan.board_uid:
            raise FixError("this is not the board that was diagnosed (another UID); nothing was changed")
        stops.announce(FixEvent.announce(plan_phases(plan.step_names)))
        last_write = plan.last_write_index
        for i, planned in enumerate(plan.steps):
            step_name, begun = planned.name, False
            stops.before_step(finishing=i > last_write and planned.name == "reset")
            begun = True
            started = time.monotonic()
            result = STEPS[planned.name].run(ctx)
            action: dict[str, Any] = {"step": planned.name, "ok": True, "detail": result.detail,
                                      "seconds": time.monotonic() - started}
            if result.file:
                action["file"] = result.file
            outcome.actions.append(action)
    except StopRequested:
        _stopped(outcome, plan, step_name, begun)
    except WrongChip as exc:
        outcome.actions.append({"step": step_name, "ok": False, "detail": str(exc), "error": str(exc)})
        outcome.message = str(exc)
    except ChipChanged as exc:
        outcome.actions.append({"step": step_name, "ok": False, "detail": str(exc), "error": str(exc)})
        outcome.message = str(exc) + outcome.backup_note
        outcome.resume = Resume.RETRY if exc.resume else None
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line, the board stays recognisable
        LOG.debug("fix step %s failed", step_name, exc_info=True)
        message = describe_failure(exc)
        outcome.actions.append({"step": step_name, "ok": False, "detail": message, "error": message})
        outcome.message = f"{step_name} failed: {message}{outcome.backup_note}"
        outcome.resume = Resume.FINISH
    else:
        _judge(outcome)
    finally:
        proven_flash.remember(env, None)  # what the fix proved of the flash goes with its session
        link.close()
    return outcome


def _stopped(outcome: FixOutcome, plan: Plan, step_name: str, begun: bool) -> None:
    done = [a["step"] for a in outcome.actions]
    where = outcome.backup_note
    outcome.stopped = True
    last_write = plan.last_write_index
    if last_write >= 0 and len(done) > last_write:  # every write done and verified: only the fresh look is left
        outcome.ok = True
        outcome.actions.append({"step": step_name, "ok": False, "error": STOPPED_BY_USER,
                                "detail": "skipped: stopped by the user"})
        outcome.message = ("done: everything was written and verified, and the chip reset; the fresh look was "
                           f"skipped as you asked{where}; run vescdoctor again to look at the board")
        return
    after = f"after {done[-1]}" if done else "before any step"
    outcome.actions.append({"step": step_name, "ok": False, "error": STOPPED_BY_USER,
                            "detail": "stopped by the user part way through (no write was cut short)" if begun else
                            "not run: stopped by the user"})
    outcome.message = f"stopped as you asked, {after} (nothing was cut halfway){where}"
    outcome.resume = Resume.FINISH


def _judge(outcome: FixOutcome) -> None:
    """Every step ran: the fresh look (when the plan had one) says whether the board is fixed."""
    after = outcome.after
    if after is None:
        outcome.ok, outcome.message = True, "done"
    elif _fixed(after):
        outcome.ok = True
        outcome.message = ("done: the board is healthy" if after.verdict == "healthy" else
                           f"done: the board is healthy apart from {after.verdict} (a finding, not a fault)") \
            + outcome.backup_note
    else:
        outcome.message = f"the steps completed, but a fresh diagnosis says {after.verdict}" + outcome.backup_note


def _fixed(after: Diagnosis) -> bool:
    """Whether the fresh look after a fix finds the board fine: healthy, or swd-needs-reset and nothing else."""
    if after.verdict not in DONE_VERDICTS:
        return False
    return not (set(after.result.findings or ()) - DONE_VERDICTS)
