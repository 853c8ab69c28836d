"""Read an image file (.bin, Intel .hex, .elf) into bytes and the address it belongs at.

.hex and .elf say where their bytes go; gaps between their pieces are filled with 0xFF (erased flash) and `ranges`
keeps what the file really holds, so that a gap is not mistaken for a fill a write would put into flash.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError

MAX_SPAN = 16 * 1024 * 1024  # a flash image of a 1 MiB chip; more means pieces far apart (RAM, option bytes)
ELF_MAGIC = b"\x7fELF"
HEX_SUFFIXES = {".hex", ".ihex", ".ihx"}
ELF_SUFFIXES = {".elf", ".axf", ".out"}


@dataclass(frozen=True)
class LoadedImage:
    data: bytes
    base: int | None  # None for .bin: a raw file does not say where it goes
    format: str  # "bin" | "hex" | "elf"
    path: Path
    ranges: tuple[tuple[int, int], ...] | None = None  # (start, end) the file holds; None for .bin (all of it)
    file_sha256: str = ""  # of the file as read (what `sha256sum` says; for .hex/.elf not the data's)


# An .elf with symbols or a .hex of a full flash is a few MB at most; anything near this is not an image.
MAX_IMAGE_BYTES = 64 * 1024 * 1024


def load_image(path) -> LoadedImage:
    """Load an image file; InputError (one line naming the file) for a missing, unreadable, empty or bad file."""
    path = Path(path)
    where = str(path)
    from ..safeio import read_bounded

    raw = read_bounded(path, MAX_IMAGE_BYTES, "an image file (.bin, .hex or .elf)")
    if not raw:
        raise InputError("empty file, expected a firmware or bootloader image", where)

    return replace(_parse(path, raw), file_sha256=hashlib.sha256(raw).hexdigest())


def _parse(path: Path, raw: bytes) -> LoadedImage:
    suffix = path.suffix.lower()
    if raw.startswith(ELF_MAGIC):
        return _load_elf(path, raw)
    if suffix in ELF_SUFFIXES:
        raise InputError("not an ELF file (no ELF header), expected an .elf image", str(path))
    if suffix in HEX_SUFFIXES or _looks_like_hex(raw):
        return _load_hex(path, raw)
    return LoadedImage(raw, None, "bin", path)


def _looks_like_hex(raw: bytes) -> bool:
    head = raw[:256].lstrip()
    return head.startswith(b":") and all(32 <= c < 127 or c in b"\r\n\t" for c in head)


def _raw_image(raw: bytes) -> bool:
    """A raw image: a vector table (initial SP in RAM, odd reset vector in flash) at offset 0."""
    import struct

    from ..knowledge.flash import FLASH_BASE, FLASH_END, in_ram

    if len(raw) < 8:
        return False
    sp, reset = struct.unpack_from("<II", raw)
    return in_ram(sp) and bool(reset & 1) and FLASH_BASE <= reset & ~1 < FLASH_END


def _load_hex(path: Path, raw: bytes) -> LoadedImage:
    import io

    from intelhex import IntelHex, IntelHexError

    where = str(path)
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        from .sniff import looks_like

        looks = "raw binary bytes" if _raw_image(raw) else looks_like(raw)
        raise InputError(f"named .hex but not Intel HEX text: the file holds {looks}"
                         + (" (a raw .bin named .hex: rename it to .bin)" if _raw_image(raw) else ""), where) from None
    ih = IntelHex()
    try:
        ih.loadhex(io.StringIO(text))
    except IntelHexError as exc:
        raise InputError(f"not a valid Intel HEX file: {exc}", where) from None
    ranges = tuple((start, end) for start, end in ih.segments())
    if not ranges:
        raise InputError("Intel HEX file holds no data records", where)
    ih.padding = 0xFF  # gaps read as erased flash (the `pad` argument is deprecated and prints to stdout)
    return _assemble(path, "hex", ranges, lambda start, end: ih.tobinstr(start=start, end=end - 1))


def _load_elf(path: Path, raw: bytes) -> LoadedImage:
    import io

    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    where = str(path)
    pieces: dict[int, bytes] = {}
    try:
        elf = ELFFile(io.BytesIO(raw))
        for segment in elf.iter_segments():
            # Loadable bytes go where the physical (load) address says: for an MCU that is flash, even for
            # .data whose virtual address is in RAM.
            if segment["p_type"] == "PT_LOAD" and segment["p_filesz"] > 0:
                pieces[segment["p_paddr"]] = segment.data()[: segment["p_filesz"]]
    except (ELFError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"not a readable ELF file: {exc}", where) from None
    if not pieces:
        raise InputError("ELF file has no loadable segments with data (PT_LOAD)", where)
    ranges = tuple(sorted((start, start + len(blob)) for start, blob in pieces.items()))
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        if start < end:
            raise InputError(f"ELF loadable segments overlap at 0x{start:08X}", where)

    def render(start: int, end: int) -> bytes:
        out = bytearray(b"\xff" * (end - start))
        for at, blob in pieces.items():
            out[at - start: at - start + len(blob)] = blob
        return bytes(out)

    return _assemble(path, "elf", ranges, render)


def _assemble(path: Path, fmt: str, ranges, render) -> LoadedImage:
    start, end = ranges[0][0], ranges[-1][1]
    if end - start > MAX_SPAN:
        raise InputError(f"the {fmt} file's data spans 0x{start:08X}..0x{end - 1:08X} ({end - start} bytes), "
                         f"more than one flash image: expected data in flash (0x08000000..0x080FFFFF) only",
                         str(path))
    return LoadedImage(render(start, end), start, fmt, path, ranges)
