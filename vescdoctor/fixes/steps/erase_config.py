"""Step `erase-config`: erase the configuration sectors 1-2, so a firmware whose stored configuration crashes it
starts with its defaults (bldc's conf_general reads defaults when the EEPROM emulation pages are blank). The backup
made before keeps them, and `vescdoctor restore --config-only` puts them back."""
from __future__ import annotations

from ..events import Phase
from ..retry import reset_and_halt
from . import Step, StepContext, StepResult


def _config_sectors():
    from ...knowledge.flash import SECTORS

    return [s for s in SECTORS if s.role == "config"]


def run(ctx: StepContext) -> StepResult:
    from ..flashops import erase_sectors

    config = _config_sectors()
    target = ctx.link.target
    reset_and_halt(target)  # tried again when the wire cuts it (fixes/retry.py)
    ctx.start(Phase.ERASE, "erasing the configuration sectors 1-2 (kept in the backup)", True)
    erase_sectors(target, [s.address for s in config])
    ctx.done(Phase.ERASE, "configuration sectors erased and blank", True)
    return StepResult("sectors " + ", ".join(str(s.number) for s in config) + " erased and read back blank")


def describe(plan) -> str:
    return "sectors 1-2 (0x08004000..0x0800BFFF); the backup keeps them"


STEP = Step("erase-config", "Erase the configuration sectors 1-2 (0x08004000-0x0800BFFF; the backup keeps them)",
            destructive=True, phases=(Phase.ERASE,), run=run, describe=describe)
