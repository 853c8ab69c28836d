"""The flows both faces (the CLI's commands, the TUI) run, decided once: which verdicts a fix can act on, which HW
the plan is checked against, the report of a run, and the exit code (errors.ExitCode, spec/cli.md).

The faces only gather input (flags, fields) and show what comes back; the walk itself is diagnosis.run_diagnosis
(or, step by step, graph.session.next_need), the repair fixes.plan.make_plan then fixes.execute.execute_plan.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ExitCode

if TYPE_CHECKING:
    from .diagnosis import Diagnosis
    from .fixes.execute import FixOutcome
    from .fixes.records import Plan
    from .graph.model import Graph
    from .graph.session import SessionResult
    from .usbrepair.plan import UsbPlan

# Verdicts where the chip could not be reached: exit code 3 (spec/cli.md), the user must act first.
INCONCLUSIVE = frozenset({"no-probe", "probe-firmware-old", "target-unpowered", "swd-no-response"})


def diagnosis_exit(verdict: str | None) -> ExitCode:
    """`diagnose`: 0 healthy, 3 the chip could not be reached, 1 a problem found."""
    if verdict == "healthy":
        return ExitCode.OK
    return ExitCode.INCONCLUSIVE if verdict in INCONCLUSIVE else ExitCode.PROBLEM


def fix_exit(outcome: FixOutcome) -> ExitCode:
    """A fix that ran: 0 done, 3 the chip could not be reached at its start, 1 it did not complete."""
    if outcome.ok:
        return ExitCode.OK
    return ExitCode.INCONCLUSIVE if outcome.unreachable else ExitCode.PROBLEM


def guided_exit(verdict: str | None, *, repair_started: bool, outcome: FixOutcome | None,
                repair_failed: bool) -> ExitCode:
    """The guided triage (TUI): 0 when nothing was repaired (a verdict is not a failure there) or the repair is
    done, 3 when the chip could not be reached (by the verdict or at the repair), 1 a repair that did not complete
    (or is cut short now)."""
    if not repair_started:
        return ExitCode.INCONCLUSIVE if verdict in INCONCLUSIVE else ExitCode.OK
    if outcome is None or repair_failed:
        return ExitCode.PROBLEM
    return fix_exit(outcome)


def fixable(verdict: str) -> bool:
    """Whether rules/plans.yaml has a plan for `verdict` (the others are fixed by the rider: cable, power ...)."""
    from .fixes.plans_file import load_plans

    return verdict in load_plans().verdicts


def choose_via(asked: str | None, facts: Mapping[str, Any]) -> str:
    """usb | swd: the way a repair goes, for `fix` and the TUI alike: what the user asked; else USB when no debug
    probe is there and the firmware answers (docs/usb-repair.md)."""
    if asked:
        return asked
    return "usb" if not facts.get("swd.probe_found") and facts.get("vesc.answered") else "swd"


def usb_fixable(verdict: str) -> bool:
    """A plan over USB exists for this verdict (rules/plans.yaml, usb)."""
    from .fixes.plans_file import load_plans

    return verdict in load_plans().usb


def answered_hw(answers: Mapping[str, str]) -> str | None:
    """The board's HW as the user answered it (`hw`), None when not answered or 'unsure'."""
    answer = answers.get("hw") or None
    return None if answer == "unsure" else answer


def chosen_hw(field: str | None, answers: Mapping[str, str], strong: str | None) -> str | None:
    """The HW the plan is checked against when the face has a Board hardware field: a name typed there is the
    user's answer, unless it is what a strong source put there (then the engine names that source); an empty field
    falls back to the answer to `hw`."""
    if not field or field == "unsure":
        return answered_hw(answers)
    return None if field == strong else field


def run_report(result: SessionResult, *, env_summary: Mapping[str, Any], graph: Graph, command: str,
               keep_uid: bool = False, plan: Plan | UsbPlan | None = None, outcome: FixOutcome | None = None,
               actions: list[dict[str, Any]] | None = None,
               backups: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The report of a run, built once at its end: the diagnosis, the plan and what the fix did (the outcome's
    record; without one, `actions` and `backups` as far as they are known), and the fresh look after it."""
    from .report.model import after_record, build_report

    if outcome is not None:
        actions, backups = list(outcome.actions), list(outcome.backups)
    report = build_report(result, env_summary=env_summary, graph=graph, command=command, keep_uid=keep_uid,
                          plan=plan.steps if plan is not None else (), images=plan.images if plan is not None else (),
                          actions=actions or (), backups=backups or ())
    after = outcome.after if outcome is not None else None
    if after is not None and hasattr(after, "result"):  # as `vescdoctor fix` reports it
        report["after"] = after_record(after)
    return report


def diagnosis_report(diagnosis: Diagnosis, *, graph: Graph, command: str, keep_uid: bool = False,
                     plan: Plan | UsbPlan | None = None, outcome: FixOutcome | None = None) -> dict[str, Any]:
    return run_report(diagnosis.result, env_summary=diagnosis.env_summary, graph=graph, command=command,
                      keep_uid=keep_uid, plan=plan, outcome=outcome)
