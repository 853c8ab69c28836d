"""Step `erase-lisp`: erase the sectors where the firmware's generation keeps LispBM code and QML data, so a
firmware that crashes on the script it loads at start runs without it.

Where each generation keeps them (docs/rules.md, "Firmware that does not run"; knowledge.generations): 6.00-6.05
QML in sector 9, LispBM code in 10 (bldc release_6_00 flash_helper.c:45-46); 6.06+ also the LispBM image in 8
(release_6_06 flash_helper.c:49 LISP_CONST_BASE); 5.03 QML in 7 (release_5_03 flash_helper.c:41). An erased code
sector fails bldc's header check (length 0xFFFFFFFF > LISP_MAX_SIZE, release_6_00 flash_helper.c:447-465), so
lispif_init finds no code and starts no script (release_6_00 lispBM/lispif.c:63-69). The backup made before keeps
the script; the rider uploads a corrected one with VESC Tool.
"""
from __future__ import annotations

from ..events import Phase
from ..retry import reset_and_halt
from . import Step, StepContext, StepResult


def run(ctx: StepContext) -> StepResult:
    from ...errors import FixError
    from ...knowledge.flash import SECTORS
    from ..flashops import erase_sectors

    numbers = ctx.plan.script_sectors
    if not numbers:
        raise FixError("the plan names no LispBM/QML sector to erase; run diagnose again")
    target = ctx.link.target
    reset_and_halt(target)  # tried again when the wire cuts it (fixes/retry.py)
    ctx.start(Phase.ERASE, f"erasing the LispBM/QML sectors {_numbers(numbers)} (kept in the backup)", True)
    erase_sectors(target, [SECTORS[n].address for n in numbers])
    ctx.done(Phase.ERASE, "LispBM/QML sectors erased and blank", True)
    plural = "s" if len(numbers) > 1 else ""
    return StepResult(f"sector{plural} {_numbers(numbers)} erased and read back blank: no script starts at boot")


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def describe(plan) -> str:
    what = "; ".join(f"{n}: {plan.rider_data.get(n, 'LispBM/QML data')}" for n in plan.script_sectors)
    return (f"sector {what}; the backup keeps the script (upload a corrected one with VESC Tool's LispBM tab, "
            "autostart off until it runs)")


STEP = Step("erase-lisp", "Erase the LispBM/QML sectors (the scripts the firmware loads at start; the backup keeps "
            "them)", destructive=True, phases=(Phase.ERASE,), run=run, describe=describe)
