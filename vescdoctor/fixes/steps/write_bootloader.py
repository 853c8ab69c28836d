"""Step `write-bootloader`: erase sector 11 only and write the bootloader at 0x080E0000, verified."""
from __future__ import annotations

from . import Step, StepContext, StepResult
from ._write import WRITE_PHASES, write_image


def run(ctx: StepContext) -> StepResult:
    return write_image(ctx, "bootloader")


def describe(plan) -> str:
    seg = next(s for s in plan.segments if s.what == "bootloader")
    return f"{len(seg.data)} bytes, into sector 11 only"


STEP = Step("write-bootloader", "Write the bootloader at 0x080E0000 (sector 11, erased first)", destructive=True,
            phases=WRITE_PHASES, run=run, needs="bootloader", describe=describe)
