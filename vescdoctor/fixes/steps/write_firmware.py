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
    into = f"{total} bytes into sector{'s' if len(secs) > 1 else ''} {_numbers(secs)}"
    if not erased:
        how = "all blank already, so nothing needs erasing"
    elif not blank:
        how = "erased first"
    else:
        how = f"{_numbers(erased)} erased first, {_numbers(blank)} blank already"
    return f"{hw}; {into}: {how}" if hw else f"{into}: {how}"


def _numbers(ns: list[int]) -> str:
    """[0, 3, 4] -> 0, 3 and 4"""
    words = [str(n) for n in ns]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


STEP = Step("write-firmware", "Write the firmware at 0x08000000 (erasing only the app sectors it needs)",
            destructive=True, phases=WRITE_PHASES, run=run, needs="firmware", describe=describe)
