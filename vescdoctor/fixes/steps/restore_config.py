"""Step `restore-config`: after a full erase, sectors 1-2 written back from the backup this fix made (the
configuration the rider had), verified."""
from __future__ import annotations

from pathlib import Path

from ...errors import FixError
from ..events import Phase
from ..retry import reset_and_halt
from . import Step, StepContext, StepResult


def run(ctx: StepContext) -> StepResult:
    from ...knowledge.flash import FLASH_BASE, SECTORS
    from ..flashops import write_verified

    if not ctx.outcome.backups:
        raise FixError("no backup was made in this fix, so there is no configuration to restore")
    backup = Path(ctx.outcome.backups[-1]["file"])
    saved = backup.read_bytes()
    config = [s for s in SECTORS if s.role == "config"]
    start, end = config[0].address - FLASH_BASE, config[-1].end - FLASH_BASE
    data = saved[start:end]
    if data.count(0xFF) == len(data):
        return StepResult("the backup's configuration sectors were blank: nothing to restore")
    target = ctx.link.target
    reset_and_halt(target)  # tried again when the wire cuts it (fixes/retry.py)
    ctx.start(Phase.PROGRAM, "writing the configuration back from the backup", True)
    checked = write_verified(target, [(FLASH_BASE + start, data)], "configuration", on_erase=_none,
                             on_program=_none, on_verify=_none, on_vector_page=lambda: None)
    ctx.done(Phase.PROGRAM, "configuration written back and verified", True)
    return StepResult(f"{checked} bytes of sectors 1-2 written back from {backup.name} and verified")


def _none(fraction: float) -> None:
    return None


def describe(plan) -> str:
    return "sectors 1-2 from the backup made first"


STEP = Step("restore-config", "Write the configuration (sectors 1-2) back from the backup just made",
            destructive=True, phases=(Phase.PROGRAM,), run=run, describe=describe)
