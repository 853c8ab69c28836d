"""Step `warn-no-backup`: the plan's explicit word, before `unlock-rdp` under RDP 1, that no backup is possible (the
flash cannot be read, and lifting the protection erases it). Plans are proven to carry it (fixes/plan_safety.py)."""
from __future__ import annotations

from ..events import Phase
from . import Step, StepContext, StepResult


def run(ctx: StepContext) -> StepResult:
    ctx.start(Phase.BACKUP, "no backup is possible: the flash is read-protected", False)
    ctx.done(Phase.BACKUP, "no backup is possible: the flash is read-protected", False)
    return StepResult("no backup possible under RDP 1: the regression erases the whole flash")


STEP = Step("warn-no-backup",
            "No backup is possible: under read protection (RDP 1) the flash cannot be read, and lifting it erases "
            "the whole flash", destructive=False, phases=(Phase.BACKUP,), run=run)
