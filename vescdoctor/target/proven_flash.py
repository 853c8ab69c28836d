"""What a fix proved the flash holds, for the fresh look after it: no second read of what was just checked.

Before the reset that ends a fix (the core still halted), `prove(target, guess)` compares the whole flash with a
guess of it (the backup with the written images over their erased sectors) by the chip's own CRCs
(target.onchip_checksum: 256 bytes over SWD), reads back only the 16 KB blocks the chip does not confirm, and keeps
the result on this run's environment (`remember`: env.flash_known, environment.FlashKnown; no module-level state).
The fresh look's flash map (probes.flash_map) then reads through `ProvenReader`: the proven bytes, except what the
firmware may change on its own once it runs (the vector table is read to confirm the image is the one proven; the
config pages, which it writes; the CRC words, which FW >= 3.55 writes at its first boot, vesc-stm32.md), read from
the chip.
"""
from __future__ import annotations

from typing import Any

from ..knowledge.flash import CRC_FLAG_ADDR, FLASH_BASE, FLASH_SIZE, SECTORS

# Ranges read from the chip even when proven: (address, size)
LIVE = ((FLASH_BASE, 8), (SECTORS[1].address, SECTORS[1].size + SECTORS[2].size),
        *((addr, 8) for addr in CRC_FLAG_ADDR.values()))
BLOCK = 0x4000  # target.onchip_checksum.MAX_BLOCK: the blocks a proven read checks


def guess(backup: bytes | None, segments: list[tuple[int, bytes]]) -> bytes:
    """The flash after writing `segments` over `backup` (None: erased), each written sector erased first."""
    flash = bytearray(backup if backup is not None and len(backup) == FLASH_SIZE else b"\xff" * FLASH_SIZE)
    for addr, data in segments:
        for sector in SECTORS:
            if sector.address < addr + len(data) and addr < sector.end:
                flash[sector.address - FLASH_BASE:sector.end - FLASH_BASE] = b"\xff" * sector.size
    for addr, data in segments:
        flash[addr - FLASH_BASE:addr - FLASH_BASE + len(data)] = data
    return bytes(flash)


def prove(target, image: bytes) -> bytes | None:
    """The flash as it is, from `image` and the chip's CRCs (blocks it does not confirm read back); None when the
    chip cannot compute them (then the fresh look reads as usual)."""
    from .flash_reader import differing_by_chip, read_block

    pieces = differing_by_chip(target, [(FLASH_BASE, image)])
    if pieces is None:
        return None
    flash = bytearray(image)
    for addr, size in pieces:
        flash[addr - FLASH_BASE:addr - FLASH_BASE + size] = read_block(target, addr, size)
    return bytes(flash)


def remember(env: Any, flash: bytes | None) -> None:
    """Keep the proven flash for the fresh look (None: forget it, and what the diagnosis saw)."""
    known = env.flash_known
    if flash is None:
        known.seen, known.proven = {}, None
    else:
        known.proven = flash


def remember_seen(env: Any, pieces: list[tuple[int, bytes]]) -> None:
    """What a diagnosis read of the flash, as whole 16 KB blocks, for the backup of a fix that follows: it proves
    them by the chip's CRCs instead of reading them again (target.flash_reader.read_proven; a block that changed
    since is read)."""
    blocks: dict[int, bytes] = {}
    for addr, data in pieces:
        first = -(-addr // BLOCK) * BLOCK
        for at in range(first, addr + len(data) - BLOCK + 1, BLOCK):
            blocks[at] = data[at - addr:at - addr + BLOCK]
    env.flash_known.seen = blocks


def take_seen(env: Any) -> dict[int, bytes]:
    known = env.flash_known
    blocks, known.seen = known.seen, {}
    return blocks


def take(env: Any) -> bytes | None:
    """The proven flash for this environment, once (a later look reads the chip again)."""
    known = env.flash_known
    flash, known.proven = known.proven, None
    return flash


class ProvenReader:
    """A flash map reader over proven bytes, the LIVE ranges read through `chip` (a ChipReader)."""

    def __init__(self, flash: bytes, chip):
        self.flash, self.chip = flash, chip

    @property
    def bytes_read(self) -> int:
        return self.chip.bytes_read

    def read(self, addr: int, size: int) -> bytes:
        out = bytearray(self.flash[addr - FLASH_BASE:addr - FLASH_BASE + size])
        for live, n in LIVE:
            lo, hi = max(addr, live), min(addr + size, live + n)
            if lo < hi:
                out[lo - addr:hi - addr] = self.chip.read(lo, hi - lo)
        return bytes(out)

    def is_blank(self, addr: int, size: int) -> bool:
        return self.read(addr, size).count(0xFF) == size
