"""The board's hardware (HW name) as the fix knows it: from a source that speaks for the board (strong), or from one
that only hints at it. Firmware is written only against a strong source or the user's confirmation."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backup import HW_SOURCE_WORDS, hw_from_backups

if TYPE_CHECKING:
    from ..diagnosis import Diagnosis


# Where a board's HW name can come from. Strong (backup.HW_SOURCE_WORDS): the user's word, the VESC's own reply, the
# intact firmware the chip runs now. Hints: the update in the buffer and earlier backups describe what someone tried
# to install, not the board.
@dataclass
class BoardHw:
    name: str
    source: str  # in words, for messages: "your answer", "the update in the buffer", ...
    kind: str  # answer | vesc | flash (strong) | flash-partial | buffer | backup (hints)


def _app_intact(facts: dict[str, Any]) -> bool:
    """The firmware in the app area is a whole VESC firmware the chip can run, not an update cut short."""
    return bool(facts.get("flash.app_runnable")) and facts.get("flash.app_kind") == "vesc" \
        and not facts.get("flash.app_partial")


def board_hw_sources(diagnosis: Diagnosis, board_hw: str | None = None,
                     backup_dir: Path | None = None) -> tuple[BoardHw | None, BoardHw | None]:
    """(strong, hint): the board's HW from a source that speaks for the board (the caller or the user's answer,
    the VESC's reply, the intact firmware in flash, or a HW an earlier fix recorded from one of those), and the
    best hint (the update in the buffer, the firmware left by an update cut short, an earlier backup's firmware).
    Neither comes from firmware the diagnosis found built for other hardware."""
    result = diagnosis.result
    answer = (result.answers or {}).get("hw")
    for name in (board_hw, answer):
        if name and name != "unsure":
            return BoardHw(name, HW_SOURCE_WORDS["answer"], "answer"), None
    facts = result.facts or {}
    wrong = diagnosis.verdict == "wrong-hardware-firmware" or "wrong-hardware-firmware" in (result.findings or [])
    hints: list[BoardHw] = []
    if not wrong:
        if facts.get("vesc.hw_name"):
            return BoardHw(str(facts["vesc.hw_name"]), HW_SOURCE_WORDS["vesc"], "vesc"), None
        if facts.get("flash.app_hw"):
            if _app_intact(facts):
                return BoardHw(str(facts["flash.app_hw"]), HW_SOURCE_WORDS["flash"], "flash"), None
            hints.append(BoardHw(str(facts["flash.app_hw"]), "the firmware left in flash by an update cut short",
                                 "flash-partial"))
        if facts.get("flash.buffer_hw"):
            hints.append(BoardHw(str(facts["flash.buffer_hw"]), "the update in the buffer", "buffer"))
    if backup_dir is not None:
        strong, hint = hw_from_backups(Path(backup_dir), facts.get("swd.uid"))
        if strong:
            return BoardHw(*strong), None
        if hint and not wrong:
            hints.append(BoardHw(*hint))
    return None, (hints[0] if hints else None)
