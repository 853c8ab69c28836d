"""Step `unlock-rdp`: lift read protection (RDP 1 -> 0). The chip mass-erases its flash as it does (RM0090 3.7.3)."""
from __future__ import annotations

from ...errors import ChipChanged, FixError
from ..events import Phase
from . import Step, StepContext, StepResult
from ._link import reset_and_reconnect


def run(ctx: StepContext) -> StepResult:
    from ...target.option_bytes import read_option_bytes, write_option_bytes

    link = ctx.link
    # The plan was made for a chip that could not be read (so it has no backup step). If it can be read now
    # (someone lifted the protection since the diagnosis), the regression would erase a flash nobody saved.
    if read_option_bytes(link.target).rdp_level == 0:
        raise ChipChanged("the chip changed since the diagnosis (it is no longer read-protected, so its flash "
                          "can be backed up); nothing was written", resume=True)
    ctx.start(Phase.UNLOCK, "lifting read protection: the chip erases its whole flash", True)
    write_option_bytes(link.target, rdp=0xAA, wrp_sectors=[])
    ctx.log(Phase.UNLOCK, "RDP 0xAA written; resetting and reconnecting", True)
    reset_and_reconnect(link)
    ob = read_option_bytes(link.target)
    if ob.rdp_level != 0:
        raise FixError(f"read protection is still level {ob.rdp_level} after the regression")
    ctx.done(Phase.UNLOCK, "read protection lifted, flash erased", True)
    return StepResult("RDP 1 -> 0 (flash mass-erased by the chip), write protection cleared")


STEP = Step("unlock-rdp", "Lift read protection (RDP 1 -> 0): the chip erases its whole flash", destructive=True,
            phases=(Phase.UNLOCK,), run=run,
            describe=lambda plan: "option byte RDP := 0xAA, then reset and reconnect")
