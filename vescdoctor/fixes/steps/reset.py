"""Step `reset`: reset the chip so the firmware just written starts, and let the SWD link go."""
from __future__ import annotations

import logging

from ..events import Phase
from . import Step, StepContext, StepResult

LOG = logging.getLogger(__name__)


def run(ctx: StepContext) -> StepResult:
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


STEP = Step("reset", "Reset the chip so the firmware starts", destructive=False, phases=(Phase.RESET,), run=run)
