"""What the two image-writing steps share: erase what the image needs, program, verify every byte, vector table
last (fixes/flashops.py), and for firmware prove the bootloader in sector 11 unchanged."""
from __future__ import annotations

from ...errors import FixError
from ...knowledge.flash import SECTORS
from ..events import Phase
from ..flashops import sector_proof, write_verified
from . import StepContext, StepResult

BOOTLOADER_RANGE = (SECTORS[11].address, SECTORS[11].size)  # sector 11: must survive a firmware write
WRITE_PHASES = (Phase.ERASE, Phase.PROGRAM, Phase.VERIFY)


def write_image(ctx: StepContext, what: str) -> StepResult:
    target = ctx.link.target
    segments = [s for s in ctx.plan.segments if s.what == what]
    target.reset_and_halt()  # the sector-11 proof runs the chip's CRC code: after the reset, like the write
    boot_hash = sector_proof(target, *BOOTLOADER_RANGE) if what == "firmware" else None
    ctx.start(Phase.ERASE, f"erasing the sectors the {what} needs", True, 0.0)
    checked = write_verified(
        target, [(s.address, s.data) for s in segments], what,
        on_erase=ctx.progress(Phase.ERASE, f"erasing for the {what}", True),
        on_program=ctx.progress(Phase.PROGRAM, f"writing the {what}", True),
        on_verify=ctx.progress(Phase.VERIFY, f"verifying every byte of the {what}", True, announce=True),
        on_vector_page=lambda: ctx.log(Phase.PROGRAM, f"verified; writing the {what}'s vector table last", True))
    detail = f"{checked} bytes written and verified"
    if boot_hash is not None:
        if sector_proof(target, *BOOTLOADER_RANGE, like=boot_hash[0]) != boot_hash:
            raise FixError("sector 11 (the bootloader) changed during the firmware write")
        detail += f"; bootloader unchanged (sector 11: {boot_hash[0]} before = after)"
    return StepResult(detail)
