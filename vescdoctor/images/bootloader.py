"""Recognise VESC bootloaders: the known images of vesc-stm32.md by sha256, and synthetic ones by their marker."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..knowledge.images_table import BOOTLOADER_SIZES, KNOWN_BOOTLOADERS
from ..knowledge.synthetic import parse_marker


@dataclass(frozen=True)
class BootloaderInfo:
    name: str  # file name as VESC Tool ships it, or a description
    date: str | None  # first shipped, YYYY-MM-DD
    compression: bool | None  # supports heatshrink-compressed updates (needed for FW >= 6.00); None: unknown
    size: int  # bytes of the image proper (a readback's trailing 0xFF not counted)
    sha256: str | None  # of those bytes
    synthetic: bool = False  # made by vescdoctor.sim.imagegen, identified by its marker


_BY_SIZE_AND_HASH = {(b.size, b.sha256): b for b in KNOWN_BOOTLOADERS}


def identify_bootloader(data: bytes) -> BootloaderInfo | None:
    """A known bootloader at the start of `data` (a file, or a sector-11 readback with 0xFF after the image)."""
    data = bytes(data)
    for size in BOOTLOADER_SIZES:  # largest first: ten sha256 over <= 6 KB each
        if len(data) >= size:
            known = _BY_SIZE_AND_HASH.get((size, hashlib.sha256(data[:size]).hexdigest()))
            if known:
                return BootloaderInfo(known.file, known.date, known.compression, known.size, known.sha256)
    marker = parse_marker(bytes(data))
    if marker and marker.get("kind") == "bootloader":
        image = data.rstrip(b"\xff")
        compression = marker.get("compression")
        return BootloaderInfo(str(marker.get("name") or "synthetic bootloader"), marker.get("date"),
                              compression if isinstance(compression, bool) else None, len(image),
                              hashlib.sha256(image).hexdigest(), synthetic=True)
    return None
