"""Step `write-firmware`: erase only the app sectors the image needs (blank ones are written without an erase) and
write the firmware at 0x08000000, verified; the bootloader in sector 11 is proven unchanged."""
from __future__ import annotations

from ...knowledge.flash import sectors_touched
from . import Step, StepContext, StepResult
from ._write import WRITE_PHASES, write_image


def run(ctx: StepContext) -> StepResult:
    return write_image(ctx, "firmware")


def describe(plan) -> str:
    segments = [s for s in plan.segments if s.what == "firmware"]
    secs = sorted({s.number for seg in segments for s in sectors_touched(seg.address, len(seg.data))})
    total = sum(len(s.data) for s in segments)
    image = next((i for i in plan.images if i.what == "firmware"), None)
    hw = f"HW {image.hw}" + (f", FW {image.version}" if image.version else "") if image else ""
    erased = [n for n in secs if n not in plan.blank_written]
    blank = [n for n in secs if n in plan.blank_written]
    how = f"sector erase of {', '.join(map(str, erased))} only" if erased else "no erase"
    if blank:
        how += f"; {', '.join(map(str, blank))} blank, written without an erase"
    return f"{hw}; {total} bytes, {how}"


STEP = Step("write-firmware", "Erase the app sectors the image needs and write the firmware at 0x08000000",
            destructive=True, phases=WRITE_PHASES, run=run, needs="firmware", describe=describe)
