"""Step `clear-wrp`: clear the write protection (nWRP bits) of every sector, then reset so it applies."""
from __future__ import annotations

from ...errors import FixError
from ..events import Phase
from . import Step, StepContext, StepResult
from ._link import reset_and_reconnect


def run(ctx: StepContext) -> StepResult:
    from ...target.option_bytes import read_option_bytes, write_option_bytes

    link = ctx.link
    ctx.start(Phase.UNLOCK, "clearing write protection", True)
    before = read_option_bytes(link.target).wrp_sectors
    write_option_bytes(link.target, wrp_sectors=[])
    reset_and_reconnect(link)
    after = read_option_bytes(link.target).wrp_sectors
    if after:
        raise FixError(f"sector(s) {', '.join(map(str, after))} are still write-protected")
    ctx.done(Phase.UNLOCK, "write protection cleared", True)
    return StepResult("cleared on sector(s) " + (", ".join(map(str, before)) or "none"))


def describe(plan) -> str:
    wrp = plan.wrp_sectors
    return "sectors " + ", ".join(map(str, wrp)) if wrp else "all sectors"


STEP = Step("clear-wrp", "Clear the write protection of every sector (nWRP)", destructive=True,
            phases=(Phase.UNLOCK,), run=run, describe=describe)
