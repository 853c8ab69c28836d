"""Step `reset`: reset the chip so the firmware just written starts, and let the SWD link go."""
from __future__ import annotations

import logging
from pathlib import Path

from ..events import Phase
from . import Step, StepContext, StepResult

LOG = logging.getLogger(__name__)


def run(ctx: StepContext) -> StepResult:
    _remember_proven(ctx)
    ctx.start(Phase.RESET, "resetting the chip: the firmware starts", False)
    try:
        ctx.link.target.reset()
    except Exception as exc:  # noqa: BLE001 - new firmware that takes the SWD pins ends the link at the reset
        LOG.debug("reset after the write: %s", exc)
        ctx.log(Phase.RESET, "the SWD link ended at the reset (expected when the firmware uses the SWD pins); the "
                             "fresh look below says whether the board is fine", False)
        ctx.link.close()  # never raises: a session pyOCD cannot close still releases the probe
        return StepResult("reset; the SWD link ended with it (the firmware may use the SWD pins)")
    ctx.link.close()
    return StepResult("reset")


def _remember_proven(ctx: StepContext) -> None:
    """Before the reset: what the flash holds now, proven by the chip's CRCs against the backup with the images
    written over it, kept for the fresh look (target.proven_flash). Nothing is kept when the chip cannot tell."""
    from ...target import proven_flash

    backup = None
    if ctx.outcome.backups:
        try:
            backup = Path(ctx.outcome.backups[-1]["file"]).read_bytes()
        except OSError:
            backup = None
    target = ctx.link.target
    try:
        target.halt()
        guess = proven_flash.guess(backup, [(s.address, s.data) for s in ctx.plan.segments])
        flash = proven_flash.prove(target, guess)
    except Exception as exc:  # noqa: BLE001 - only a shortcut: the fresh look reads the chip instead
        LOG.debug("proving the flash before the reset: %s", exc)
        flash = None
    proven_flash.remember(ctx.env, flash)


STEP = Step("reset", "Reset the chip so the firmware starts", destructive=False, phases=(Phase.RESET,), run=run)
