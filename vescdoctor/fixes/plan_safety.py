"""The proof that every fix plan is safe (issue 12, item 1): nothing destructive runs before the flash is saved.

A plan is safe when, after its steps are put in `order` with every step a finding of the same run or make_plan may
add, the first destructive step comes after `backup` - or, for read protection level 1 where the debugger cannot
read the flash at all, after the explicit `warn-no-backup` step and only in a plan that lifts RDP (`unlock-rdp`).
A board diagnosed `healthy` gets no destructive step from any plan or finding.
Used by `vescdoctor rules check` (every problem listed) and by the plan loader and make_plan (a refusal, exit 2).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BACKUP, NO_BACKUP, RDP_UNLOCK = "backup", "warn-no-backup", "unlock-rdp"
WRITES = ("write-bootloader", "write-firmware")
WRP_CLEAR = "clear-wrp"  # make_plan adds it when a sector it writes is write-protected


@dataclass(frozen=True)
class PlanProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _destructive(step: str) -> bool:
    from .steps import STEPS

    spec = STEPS.get(step)
    return spec is None or spec.destructive  # an unknown step is never assumed harmless


def steps_problem(steps: Iterable[str]) -> str | None:
    """Why this run-ordered step list is unsafe, or None. The same rule as the plans file proof, for one plan."""
    steps = list(steps)
    first = next((i for i, s in enumerate(steps) if _destructive(s)), None)
    if first is None:
        return None
    before = steps[:first]
    if BACKUP in before:
        return None
    if NO_BACKUP in before:
        if RDP_UNLOCK not in steps:
            return (f"'{NO_BACKUP}' stands in for the backup only where read protection forbids one: the plan "
                    f"must lift it ('{RDP_UNLOCK}')")
        return None
    return (f"'{steps[first]}' destroys data but no '{BACKUP}' (or, under RDP 1, '{NO_BACKUP}') comes before it")


def plan_problems(book) -> list[PlanProblem]:
    """Every safety problem of a loaded PlanBook (empty when every plan is safe)."""
    problems: list[PlanProblem] = []
    order = list(book.order)
    guards = [order.index(g) for g in (BACKUP, NO_BACKUP) if g in order]
    for step in order:
        if _destructive(step) and any(order.index(step) < g for g in guards):
            problems.append(PlanProblem(f"{book.path}:order", f"'{step}' destroys data but comes before "
                                        f"'{BACKUP}'/'{NO_BACKUP}' in order: every plan would run it unsaved"))
    rank = {s: i for i, s in enumerate(order)}
    extra = {s for f in book.findings.values() for s in f.steps}
    plans = [(code, plan) for code, verdict in book.verdicts.items()
             for plan in (verdict, *verdict.causes.values())]
    for code, plan in plans:
        if code == "healthy":
            bad = [s for s in plan.steps if _destructive(s)]
            if bad:
                problems.append(PlanProblem(plan.where, f"the plan for 'healthy' has destructive step(s) "
                                            f"{', '.join(bad)}: nothing may be erased on a healthy board"))
            continue
        possible = set(plan.steps) | extra
        if possible & set(WRITES):
            possible.add(WRP_CLEAR)
        # The backup must be the plan's own: a finding that brings it in may be absent.
        guarded = [s for s in possible if s not in (BACKUP, NO_BACKUP) or s in plan.steps]
        why = steps_problem(sorted(guarded, key=lambda s: rank.get(s, len(rank))))
        if why:
            problems.append(PlanProblem(plan.where, f"plan of '{code}' (with the steps findings may add): {why}"))
    for code, item in book.findings.items():
        bad = [s for s in item.steps if _destructive(s)]
        if code == "healthy" and bad:
            problems.append(PlanProblem(item.where, f"finding 'healthy' adds destructive step(s) {', '.join(bad)}"))
    return problems
