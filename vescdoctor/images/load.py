"""Read an image file into bytes and the address it belongs at."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoadedImage:
    data: bytes
    base: int | None  # None for .bin: a raw file does not say where it goes
    format: str  # "bin" | "hex" | "elf"
    path: Path


def load_image(path) -> LoadedImage:
    raise NotImplementedError  # stub, filled next
