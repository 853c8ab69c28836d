"""Checksums of flash ranges computed on the chip, so a range is compared without reading it over SWD.

As esptool's flasher stub answers an MD5 and OpenOCD's verify_image runs a CRC on the target, pyOCD carries a CRC32
analyzer it loads into the target's RAM and runs on the core (pyocd/flash/flash.py, `Flash.compute_crcs`, the
`_ANALYZER_CODE` blob; pyOCD's FlashBuilder uses it to skip pages that already hold their data,
pyocd/flash/builder.py `_analyze_pages_with_crc32`). Its CRC is zlib's CRC-32 (the builder compares it with
`binascii.crc32`), and it checks blocks whose size is a power of two, aligned to that size. So any range is cut into
such blocks (`aligned_blocks`), each block's CRC is asked of the chip (4 bytes read per block, a batch per call)
and compared with the host's CRC of the bytes expected there.

Running the analyzer overwrites SRAM and the core's registers: callers use it only on a halted chip that nothing
needs to resume (a fix, which resets afterwards; a diagnosis of a chip where nothing can run).
"""
from __future__ import annotations

import logging
from binascii import crc32

LOG = logging.getLogger(__name__)
# A failed comparison is narrowed to one block, read back byte for byte by the caller: 16 KB (the smallest F405
# sector) costs 4 bytes of CRC per 16 KB (256 bytes per MiB) and at most 16 KB read after a mismatch.
MAX_BLOCK = 0x4000
# The analyzer's command word holds address / size in its upper 16 bits (pyocd/flash/flash.py compute_crcs), so in
# the F405's flash (up to 0x08100000) a block is at least 4 KB; smaller pieces are read.
MIN_BLOCK = 0x1000
BATCH = 256  # blocks per analyzer call: their command words and CRCs share pyOCD's first page buffer (4 KB)


class OnChipUnavailable(Exception):
    """The target's flash algorithm carries no CRC analyzer, or running it failed: the caller reads instead."""


def aligned_blocks(address: int, size: int, min_block: int = MIN_BLOCK) -> list[tuple[int, int, bool]]:
    """[(address, size, on_chip)] covering [address, address+size) in order: the largest power-of-two blocks
    aligned to their own size (up to MAX_BLOCK) where on_chip, and pieces smaller than min_block to be read."""
    out: list[tuple[int, int, bool]] = []
    end = address + size
    at = address
    while at < end:
        block = MAX_BLOCK
        while block > 1 and (at % block or at + block > end):
            block //= 2
        if block < min_block:
            # gather the bytes up to the next min_block boundary (or the end) into one piece to read
            stop = min(end, (at // min_block + 1) * min_block)
            if out and not out[-1][2] and out[-1][0] + out[-1][1] == at:
                prev = out.pop()
                out.append((prev[0], prev[1] + stop - at, False))
            else:
                out.append((at, stop - at, False))
            at = stop
            continue
        out.append((at, block, True))
        at += block
    return out


def host_crc(data: bytes) -> int:
    return crc32(data) & 0xFFFFFFFF


class OnChipChecksum:
    """CRC32s of flash blocks computed by the chip (pyOCD's analyzer); counts the bytes it costs over SWD."""

    def __init__(self, target):
        self.target = target
        self.bytes_read = 0  # CRC words read back
        self.calls = 0

    def _flash(self, address: int):
        region = self.target.memory_map.get_region_for_address(address)
        flash = getattr(region, "flash", None)
        if flash is None or not flash.get_flash_info().crc_supported:
            raise OnChipUnavailable(f"no on-chip CRC for 0x{address:08X}")
        return flash

    def crcs(self, blocks: list[tuple[int, int]]) -> list[int]:
        """The chip's CRC32 of each (address, size) block: sizes powers of two, addresses aligned to them."""
        from pyocd.core import exceptions

        if not blocks:
            return []
        flash = self._flash(blocks[0][0])
        out: list[int] = []
        try:
            flash.init(flash.Operation.VERIFY)
            try:
                for i in range(0, len(blocks), BATCH):
                    batch = blocks[i:i + BATCH]
                    out += [int(c) & 0xFFFFFFFF for c in flash.compute_crcs(batch)]
                    self.bytes_read += 4 * len(batch)
                    self.calls += 1
            finally:
                flash.uninit()
        except exceptions.Error as exc:
            raise OnChipUnavailable(f"the on-chip CRC failed ({exc})") from exc
        return out

    def crc_of(self, address: int, size: int) -> list[tuple[int, int, int]]:
        """[(address, size, crc)] of the chip's flash over one range aligned to MIN_BLOCK, all of it by the chip."""
        if address % MIN_BLOCK or size % MIN_BLOCK:
            raise ValueError(f"0x{address:08X}+0x{size:X} is not aligned to 0x{MIN_BLOCK:X}")
        blocks = [(a, n) for a, n, _ in aligned_blocks(address, size)]
        return [(a, n, c) for (a, n), c in zip(blocks, self.crcs(blocks))]

    def differing(self, segments: list[tuple[int, bytes]]) -> list[tuple[int, int]]:
        """The (address, size) pieces of `segments` whose flash may not hold those bytes: blocks whose on-chip CRC
        differs from the host's, and the small pieces (below MIN_BLOCK) left for the caller to read and compare."""
        checked: list[tuple[int, int, bytes]] = []
        out: list[tuple[int, int]] = []
        for address, data in segments:
            for at, n, on_chip in aligned_blocks(address, len(data)):
                if on_chip:
                    checked.append((at, n, data[at - address:at - address + n]))
                else:
                    out.append((at, n))
        crcs = self.crcs([(a, n) for a, n, _ in checked])
        out += [(a, n) for (a, n, want), got in zip(checked, crcs) if host_crc(want) != got]
        return sorted(out)
