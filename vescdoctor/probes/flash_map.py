"""Probe `flash.map`: what the chip's flash holds, per sector (see vescdoctor.flashmap), read through pyOCD.

Runs on the connection `swd.connect` opened. While the firmware runs, it only reads (no halt: a spinning motor's
PWM is never frozen by a diagnosis); when nothing can run (no valid app), it halts the core and lets pyOCD's on-chip
CRC analyzer tell blank sectors from used ones, so a blank 128 KB sector costs a few bytes over SWD, not 128 KB.
Facts: vescdoctor.flashmap.FLASH_FACTS (flash.readable false with the rest null when the chip refuses reads).
"""
from __future__ import annotations

from binascii import crc32

from ..flashmap import FLASH_FACTS, analyze
from ..swdlink import link_for
from .base import ProbeContext, ProbeResult, probe


class ChipReader:
    """A flashmap reader over a pyOCD target; counts the bytes moved over SWD."""

    def __init__(self, target):
        self.target = target
        self.bytes_read = 0
        self.analyzer_ok = True

    def read(self, addr: int, size: int) -> bytes:
        self.bytes_read += size
        return bytes(self.target.read_memory_block8(addr, size))

    def is_blank(self, addr: int, size: int) -> bool:
        if self.analyzer_ok and self.target.is_halted():
            crc = self._chip_crc(addr, size)
            if crc is not None:
                self.bytes_read += 4
                return crc == crc32(b"\xff" * size) & 0xFFFFFFFF
        data = self.read(addr, size)
        return data.count(0xFF) == size

    def _chip_crc(self, addr: int, size: int) -> int | None:
        from pyocd.core import exceptions

        region = self.target.memory_map.get_region_for_address(addr)
        flash = getattr(region, "flash", None)
        if flash is None or not flash.get_flash_info().crc_supported:
            self.analyzer_ok = False
            return None
        try:
            flash.init(flash.Operation.VERIFY)
            try:
                return flash.compute_crcs([(addr, size)])[0]
            finally:
                flash.uninit()
        except exceptions.Error:
            self.analyzer_ok = False  # fall back to reading
            return None


@probe("flash.map", FLASH_FACTS, "Reading what the flash holds")
def flash_map(ctx: ProbeContext) -> ProbeResult:
    from pyocd.core import exceptions

    link = link_for(ctx.env)
    facts = dict.fromkeys(FLASH_FACTS)
    facts["flash.readable"] = False
    if not link.connected:
        return ProbeResult(facts, ["Flash: not connected"], ok=False, error="not connected")
    target = link.target
    reader = ChipReader(target)
    ctx.emit("Flash: reading the vector table, config pages, update buffer and bootloader")
    try:
        vectors = reader.read(0x08000000, 8)
        if vectors == b"\xff" * 8 and not target.is_halted():
            target.halt()  # no firmware can be running: halting is harmless and lets the chip check sectors
        fmap = analyze(reader)
    except exceptions.TransferError as exc:
        return ProbeResult(facts, [f"Flash: the chip refused the read ({exc})"], ok=False, error=str(exc))
    facts = fmap.facts()
    facts["flash.bytes_read"] = reader.bytes_read
    lines = [f"Flash: sector {s.number:2d} 0x{s.address:08X} {s.size // 1024:4d}K {s.role:<10} {s.state:<6} {s.detail}"
             .rstrip() for s in fmap.sectors]
    app = fmap.app
    if app.runnable:
        lines.append(f"Flash: application runs from 0x{app.reset:08X}: "
                     + (f"VESC firmware for HW {app.hw}" if app.kind == "vesc" else "not VESC firmware")
                     + f", CRC words: {app.crc_state}")
    else:
        lines.append("Flash: no runnable application at 0x08000000 ("
                     + ("vector table erased" if app.sp == 0xFFFFFFFF else
                        "invalid vector table" if not app.vector_valid else "code behind the reset vector erased")
                     + ")")
    lines.append(f"Flash: {reader.bytes_read} bytes read over SWD")
    return ProbeResult(facts, lines)
