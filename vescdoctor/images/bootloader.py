"""Recognise VESC bootloaders: the known images of vesc-stm32.md, by sha256 of their first bytes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BootloaderInfo:
    name: str  # file name as VESC Tool ships it, or a description
    date: str | None  # first shipped, YYYY-MM-DD
    compression: bool | None  # supports heatshrink-compressed updates (needed for FW >= 6.00)
    size: int  # bytes of the image proper (a readback's trailing 0xFF not counted)
    sha256: str | None  # of those bytes


def identify_bootloader(data: bytes) -> BootloaderInfo | None:
    return None  # stub, filled next
