"""Say what an image is: firmware, bootloader or unknown, for which HW, where it goes, and what is wrong with it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass
class ImageInfo:
    kind: str  # "firmware" | "bootloader" | "unknown"
    hw: str | None
    version: str | None
    base: int | None  # where the image must be written
    size: int
    sha256: str
    problems: list[str] = field(default_factory=list)
    # bootloader
    name: str | None = None
    date: str | None = None
    compression: bool | None = None
    # firmware
    crc_words: tuple[int, int] | None = None  # (flag, crc) in release layouts
    app_max_size: int | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "hw": self.hw, "version": self.version, "base": self.base, "size": self.size,
                "sha256": self.sha256, "problems": list(self.problems)}


def identify(data: bytes, base: int | None = None) -> ImageInfo:
    return ImageInfo("unknown", None, None, base, len(data), hashlib.sha256(data).hexdigest())  # stub
