"""Step `mass-erase` (`fix --erase-all`): the whole chip erased in one MER (PSIZE x32 on a VESC's 3.3 V, else
pyOCD's flash algorithm's EraseChip; target/stm32f405.py), every sector then checked blank on the chip. Only after
the backup; the bootloader and firmware steps follow."""
from __future__ import annotations

from ...errors import FixError
from ..events import Phase
from ..retry import reset_and_halt
from . import Step, StepContext, StepResult


def run(ctx: StepContext) -> StepResult:
    from ...knowledge.flash import FLASH_BASE, SECTORS
    from ...target.flash_reader import ChipReader
    from ..flashops import erase_chip

    target = ctx.link.target
    reset_and_halt(target)  # tried again when the wire cuts it (fixes/retry.py)
    ctx.start(Phase.ERASE, "mass-erasing the whole chip (the backup holds everything)", True)
    erase_chip(target, FLASH_BASE)
    reader = ChipReader(target, may_run_code=True)
    left = [s.number for s in SECTORS if not reader.is_blank(s.address, s.size)]
    if left:
        raise FixError(f"sector(s) {', '.join(map(str, left))} not blank after the mass erase")
    ctx.done(Phase.ERASE, "the whole chip is erased and blank", True)
    return StepResult(f"all {len(SECTORS)} sectors erased and checked blank")


def describe(plan) -> str:
    return "all 12 sectors, bootloader included"


STEP = Step("mass-erase", "Erase the whole chip (mass erase: firmware, configuration, update buffer, bootloader)",
            destructive=True, phases=(Phase.ERASE,), run=run, describe=describe)
