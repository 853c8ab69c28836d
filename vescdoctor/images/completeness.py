"""Is a firmware image whole? (issue 12, item 2: a file cut short was written and called healthy.)

Two signs, from the bytes alone:
- its code refers to many addresses just past the file's end: Thumb code loads the addresses of its own functions,
  strings and tables from literal pools, so a file cut in the middle keeps hundreds of pointers into the part that
  is gone. A whole image refers past its end only to a few fixed places (sector starts, the CRC words at the end of
  the app area, vesc-stm32.md "App CRC words") and a handful of chance matches: measured on the three release
  images in shared/firmware, 3-4 such addresses after those are set aside (the project's generated images: at most
  7); on the same images cut every 16 KiB, 22 to 830. Known limit: a cut within the last ~2 KiB (the .data
  initial values, which hold few pointers) can go unseen.
- it is padded with 0xFF like a release image but shorter than one: a release .bin is the whole app area minus 8
  bytes (393208 or 524280 bytes) ending in its CRC words; without them the firmware's flash check fails.
"""
from __future__ import annotations

import struct

from ..knowledge.flash import APP_MAX_SIZE_6, CRC_FLAG_ADDR, FLASH_BASE, SECTORS

WINDOW = APP_MAX_SIZE_6  # look as far as the app area goes for the pointers a cut leaves behind
MIN_DANGLING = 12  # distinct addresses past the end that make a cut image (whole images: 3-4, generated: <= 7)
PAD_RUN = 256  # trailing 0xFF bytes that make a file "padded like a release"
_FIXED = {s.address for s in SECTORS} | {a + d for a in CRC_FLAG_ADDR.values() for d in (0, 4, 8)}


def code_end(data: bytes) -> int:
    """The length of the image without its 0xFF padding and (in a release layout) its CRC words."""
    body = data[:CRC_FLAG_ADDR[len(data)] - FLASH_BASE] if len(data) in CRC_FLAG_ADDR else data
    return len(body.rstrip(b"\xff"))


def dangling_references(data: bytes, base: int = FLASH_BASE) -> list[int]:
    """The distinct flash addresses within WINDOW past the code's end that aligned words of the code hold."""
    end = code_end(data)
    start, stop = base + end, min(base + end + WINDOW, FLASH_BASE + APP_MAX_SIZE_6)
    found: set[int] = set()
    for (word,) in struct.iter_unpack("<I", data[:end - end % 4]):
        addr = word & ~1
        if start <= addr < stop and addr not in _FIXED:
            found.add(addr)
    return sorted(found)


def completeness_problems(data: bytes, base: int = FLASH_BASE) -> list[str]:
    """Sentences naming what is missing; empty for a whole image."""
    problems = []
    dangling = dangling_references(data, base)
    end = base + code_end(data)
    if len(dangling) >= MIN_DANGLING:
        most = dangling[len(dangling) * 9 // 10]  # the chance matches of a whole image lie beyond this
        problems.append(f"incomplete: the image is cut short: its code ends at 0x{end - 1:08X} but refers to "
                        f"{len(dangling)} addresses past that (most up to 0x{most:08X}), so about "
                        f"{most - end + 1} bytes of code and data or more are missing; use the whole release file")
    elif len(data) not in CRC_FLAG_ADDR and data.endswith(b"\xff" * PAD_RUN):
        short = [n for n in sorted(CRC_FLAG_ADDR) if len(data) < n]
        if short:
            problems.append(f"incomplete: padded with 0xFF like a release image but {short[0] - len(data)} bytes "
                            f"short of its {short[0]} bytes: the CRC words at the end of a release are missing; "
                            "use the whole release file")
    return problems
