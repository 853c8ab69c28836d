"""What a file that is not a firmware or bootloader image looks like, in words (`vescdoctor inspect` says it).

Reads bytes only. `looks_like` names common impostors (a picture, an archive, a report, erased flash, random bytes);
`truncation` tells a firmware cut short from one that is not firmware at all.
"""
from __future__ import annotations

import math
import struct
from collections import Counter

from ..knowledge.flash import BOOTLOADER_BASE, FLASH_BASE, in_ram

# (magic at offset 0, what it is): the file types a rider most often picks by mistake.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"), (b"\xff\xd8\xff", "a JPEG picture"), (b"GIF8", "a GIF picture"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (unpack it and pick the .bin inside)"),
    (b"\x1f\x8b", "a gzip archive (unpack it first)"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (unpack it first)"),
    (b"Rar!", "a RAR archive (unpack it first)"), (b"MZ", "a Windows program (.exe)"),
    (b"DfuSe", "a DfuSe .dfu file (ST's DFU format, not a raw image)"),
)
VECTORS = 98  # 16 Cortex-M4 exceptions + 82 STM32F405 interrupts (RM0090 table 61)


def looks_like(raw: bytes) -> str:
    """A short phrase: what the bytes of a non-image file look like."""
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            return what
    if not raw.strip(b"\xff"):
        return f"{len(raw)} bytes all 0xFF: erased flash, nothing to write"
    if not raw.strip(b"\x00"):
        return f"{len(raw)} bytes all 0x00: an empty (zeroed) file"
    if _linked_for_flash(raw):
        return ("a program for the STM32's flash (it starts with a vector table) but no VESC firmware: no VESC HW "
                "name in it, or a VESC firmware cut short")
    text = _as_text(raw)
    if text is not None:
        return _text_kind(text)
    if _entropy(raw[:65536]) > 7.5:
        return "bytes with no structure (random, compressed or encrypted data)"
    return "binary data without a vector table for the STM32's flash"


def _linked_for_flash(raw: bytes) -> bool:
    if len(raw) < 8:
        return False
    sp, reset = struct.unpack_from("<II", raw)
    return in_ram(sp) and bool(reset & 1) and FLASH_BASE <= reset & ~1 < FLASH_BASE + 0x100000


def _as_text(raw: bytes) -> str | None:
    try:
        text = raw[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if printable >= 0.95 * max(len(text), 1) else None


def _text_kind(text: str) -> str:
    head = text.lstrip("\ufeff \r\n\t")
    if '"vescdoctor-report"' in text:
        return "a vescdoctor report (read it with `vescdoctor report show FILE`)"
    if head.startswith(("{", "[")):
        return "a JSON document"
    if head.lower().startswith(("<!doctype html", "<html")):
        return "a web page (HTML): the download saved the page, not the file"
    if head.startswith("<"):
        return "an XML document"
    if head.startswith(":"):
        return "Intel HEX text"
    return "a text file"


def _entropy(data: bytes) -> float:
    counts = Counter(data)
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


def truncation(data: bytes, base: int | None = None) -> str | None:
    """Why `data` is a firmware or bootloader cut short, or None: a vector table for the STM32's flash whose
    handlers point past the end of what the file holds (the code they name was cut off)."""
    if not _linked_for_flash(data):
        return None
    sp, reset = struct.unpack_from("<II", data)
    link = BOOTLOADER_BASE if BOOTLOADER_BASE <= (reset & ~1) < BOOTLOADER_BASE + 0x20000 else FLASH_BASE
    start = base if base is not None else link
    count = min(VECTORS, len(data) // 4)
    vectors = struct.unpack_from(f"<{count}I", data)[1:]
    handlers = [v & ~1 for v in vectors if v & 1 and link <= v & ~1 < link + 0x100000]
    end = start + len(data)
    beyond = [h for h in handlers if h >= end]
    if count < VECTORS or beyond:
        furthest = max(beyond or handlers or [end])
        return (f"truncated: the file ends at 0x{end - 1:08X} ({len(data)} bytes) but its vector table points at "
                f"code up to 0x{furthest:08X}; download the image again")
    return None
