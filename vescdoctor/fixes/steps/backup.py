"""Step `backup`: the whole flash (1 MiB) and the option bytes into a new file, before anything is written."""
from __future__ import annotations

from datetime import datetime

from ...errors import FixError
from ..backup import backup_target, chip_meta, unique_backup_path
from ..events import Phase
from ..retry import reset_and_halt
from . import Step, StepContext, StepResult


def run(ctx: StepContext) -> StepResult:
    from ...target import proven_flash
    from ...target.option_bytes import read_option_bytes

    target = ctx.link.target
    if read_option_bytes(target).rdp_level != 0:
        raise FixError("the flash became unreadable (RDP) before the backup; nothing was changed")
    path = unique_backup_path(ctx.backup_dir, chip_meta(target)["board_uid"], datetime.now())
    ctx.start(Phase.BACKUP, f"reading the whole flash into {path}", False, 0.0)
    plan = ctx.plan
    reset_and_halt(target)  # the chip proves the copy with its CRCs; the writes reset and halt it anyway
    info = backup_target(target, path, verdict=plan.verdict, board_hw=plan.board_hw,
                         board_hw_source=plan.board_hw_source,
                         progress=ctx.progress(Phase.BACKUP, "reading flash", False), may_run_code=True,
                         known=proven_flash.take_seen(ctx.env))
    reset_and_halt(target)  # pyOCD's analyzer left its code in the core: back to the firmware's reset state
    ctx.outcome.backups.append(info)
    return StepResult(f"1 MiB and option bytes, sha256 {info['sha256'][:16]}...", info["file"])


STEP = Step("backup", "Back up the whole flash (1 MiB) and the option bytes", destructive=False,
            phases=(Phase.BACKUP,), run=run)
