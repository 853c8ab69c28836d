"""Verdict codes, their precedence, and the questions a run can be asked (shared/spec/verdicts.md).

These codes are a public contract: never rename or reuse one.
"""
from __future__ import annotations

# In precedence order: what blocks access to the chip, then what is wrong in flash, then the host side.
# `healthy` and `swd-needs-reset` come last: they are the verdict only when nothing else holds.
PRECEDENCE: tuple[str, ...] = (
    "no-probe", "probe-firmware-old", "target-unpowered", "swd-no-response", "wrong-chip", "read-protected",
    "app-missing", "firmware-crc-mismatch", "firmware-not-running", "wrong-hardware-firmware", "unknown-firmware",
    "write-protected",
    "bootloader-missing", "bootloader-too-old", "active-fault",
    "usb-cable", "host-permission", "host-port-busy", "dfu-mode",
    "swd-needs-reset", "healthy",
)
VERDICT_CODES = frozenset(PRECEDENCE)

TITLES = {
    "healthy": "The VESC is healthy",
    "no-probe": "No SWD debug probe found",
    "probe-firmware-old": "The debug probe's own firmware is too old",
    "target-unpowered": "The board has no power",
    "swd-no-response": "The chip does not answer on SWD",
    "swd-needs-reset": "The chip answers SWD only under reset",
    "wrong-chip": "Not a VESC's STM32F405/407 (1 MiB)",
    "read-protected": "Flash is read-protected (RDP level 1)",
    "write-protected": "Flash sectors are write-protected",
    "app-missing": "No firmware at 0x08000000",
    "bootloader-missing": "No bootloader in sector 11",
    "bootloader-too-old": "The bootloader is too old for FW 6.x",
    "firmware-crc-mismatch": "The firmware fails its own CRC check",
    "firmware-not-running": "The firmware is there but does not run",
    "wrong-hardware-firmware": "Firmware built for other hardware",
    "unknown-firmware": "Not VESC firmware",
    "active-fault": "The firmware runs but reports a fault",
    "usb-cable": "Firmware runs but nothing appears on USB",
    "host-permission": "This user may not open the VESC's serial port",
    "host-port-busy": "Another program holds the VESC's serial port",
    "dfu-mode": "The chip is in the STM32 system bootloader (DFU)",
}

# Question ids and answer codes accepted everywhere (`--answer ID=CODE`). None: free text (a HW name or `unsure`).
QUESTIONS: dict[str, tuple[str, ...] | None] = {
    "led": ("blue-only", "green", "red-blink", "red-fast", "off", "unsure"),
    "hw": None,
    "symptom": ("no-usb", "old-firmware-after-update", "boot-loop", "swd-fails", "other"),
}


def answer_error(qid: str, code: str) -> str | None:
    """None when `code` may answer question `qid` (spec questions take their own codes; free ones and a graph's own
    questions take any); else what is expected, for the caller's one-line error."""
    codes = QUESTIONS.get(qid)
    if codes is None or code in codes:
        return None
    return f"expected one of: {', '.join(codes)}"


def rank(code: str) -> int:
    """Position of a verdict code in the precedence (lower wins)."""
    return PRECEDENCE.index(code)
