"""What happens on the bench after COMM_JUMP_TO_BOOTLOADER: the code in sector 11 runs, as bldc-bootloader main.c
does it (sources with branch and line in docs/usb-repair.md).

- Sector 11 blank: flash_helper_jump_to_bootloader loads SP and PC from 0x080E0000, both 0xFFFFFFFF: the core
  faults with interrupts off; the watchdog it set to its slowest resets the chip and the old firmware boots again.
  The buffer is left as it was: "the update did nothing".
- A bootloader vescdoctor recognises (images.identify_bootloader): main() tries write_new_app up to 5 times:
  header u32 size (0xCC in the top byte: heatshrink-compressed) + u16 CRC16-XMODEM over the data; size over
  393216 -> 3 red blinks, size 0 -> 4, CRC wrong -> 5, each then exits without touching the app; else erase (the
  sectors the size reaches, or all of sectors 0-7 when compressed), copy (decompressing with heatshrink window 13,
  lookahead 5), 3 green blinks and a WWDG reset into the new firmware. A flash error: 1 red blink and the next try;
  after 5, 8 red blinks and a reset. A bootloader without heatshrink (before 2022-12) reads the 0xCC size as a
  size and refuses with 3 red blinks, so a compressed update leaves the old firmware.
- Anything else in sector 11 (a torn write): the forum's broken bootloader (scenario bricked-update): it erased the
  application sectors (0, 3-7; the configuration sectors 1-2 survived) and died before copying. No firmware runs.
A power loss (the power_loss_after_erases fault) stops the copy where it is: the board stays off.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import heatshrink2

from ..images.bootloader import identify_bootloader
from ..knowledge.checksums import crc16_xmodem
from ..knowledge.flash import BOOTLOADER_BASE, BUFFER_BASE, FLASH_BASE, SECTORS

NEW_APP_MAX_SIZE = 3 * (1 << 17)  # bldc-bootloader main.c NEW_APP_MAX_SIZE
COMPRESSED_MARK = 0xCC
APP_SECTORS = 8
TRIES = 5
HS_WINDOW, HS_LOOKAHEAD = 13, 5  # bldc-bootloader heatshrink/heatshrink_config.h
BROKEN_ERASES = (0, 3, 4, 5, 6, 7)  # what the forum's broken bootloader erased (scenario bricked-update)


@dataclass
class BootloaderRun:
    outcome: str  # watchdog-old-firmware | copied | refused | flash-failed | broken | power-lost
    blinks: list[str] = field(default_factory=list)  # "red x3", "green x3", in order
    reason: str = ""


def _word(board, addr: int) -> int:
    return struct.unpack_from("<I", board.flash, addr - FLASH_BASE)[0]


def _sector11_blank(board) -> bool:
    sp, pc = _word(board, BOOTLOADER_BASE), _word(board, BOOTLOADER_BASE + 4)
    return sp == 0xFFFFFFFF or pc == 0xFFFFFFFF


def _check_header(board, compression: bool) -> tuple[int, bool, bytes] | int:
    """write_new_app's checks: (size, compressed, data), or its error code -1/-2/-3."""
    offset = BUFFER_BASE - FLASH_BASE
    size, crc = struct.unpack_from(">IH", board.flash, offset)
    compressed = compression and size >> 24 == COMPRESSED_MARK
    if compressed:
        size &= 0x00FFFFFF
    if size > NEW_APP_MAX_SIZE:
        return -1
    if size == 0:
        return -2
    data = bytes(board.flash[offset + 6:offset + 6 + size])
    if crc16_xmodem(data) != crc:
        return -3
    return size, compressed, data


def _write_new_app(bench, flash, compression: bool) -> int | str:
    """One try: 0 done, -1/-2/-3 refused, 'flash' a flash error, 'power' the power went."""
    checked = _check_header(bench.board, compression)
    if isinstance(checked, int):
        return checked
    size, compressed, data = checked
    for number in range(APP_SECTORS):
        if not compressed and FLASH_BASE + size <= SECTORS[number].address:
            break
        if not flash.erase_sector(number):
            return "power" if not bench.chip.powered else "flash"
    if compressed:
        try:
            data = heatshrink2.decompress(data, window_sz2=HS_WINDOW, lookahead_sz2=HS_LOOKAHEAD)
        except Exception:  # the decoder's own error codes end the try as a flash error would
            return "flash"
    if not flash.program(FLASH_BASE, data):
        return "power" if not bench.chip.powered else "flash"
    return 0


def jump_to_bootloader(bench) -> BootloaderRun:
    """Run what sector 11 holds; then the reset it ends with (when the board still has power)."""
    from .vesc_update import FirmwareFlash

    board, flash = bench.board, FirmwareFlash(bench.chip)
    if _sector11_blank(board):
        run = BootloaderRun("watchdog-old-firmware", reason="sector 11 blank: hard fault, watchdog reset")
    else:
        info = identify_bootloader(bytes(board.flash[BOOTLOADER_BASE - FLASH_BASE:]))
        run = _broken(bench, flash) if info is None else _bootloader_main(bench, flash, info.compression is not False)
    if bench.chip.powered:
        bench.chip.system_reset()
    return run


def _broken(bench, flash) -> BootloaderRun:
    for number in BROKEN_ERASES:
        if not flash.erase_sector(number):
            break
    return BootloaderRun("broken", reason="a broken bootloader erased the application and stopped")


def _bootloader_main(bench, flash, compression: bool) -> BootloaderRun:
    run = BootloaderRun("flash-failed")
    for _ in range(TRIES):
        res = _write_new_app(bench, flash, compression)
        if res == "power":
            run.outcome, run.reason = "power-lost", "the power went while the bootloader copied"
            return run
        if res in (-1, -2, -3):
            run.blinks.append(f"red x{ {-1: 3, -2: 4, -3: 5}[res] }")
            run.outcome = "refused"
            run.reason = {-1: "size over 393216", -2: "size 0", -3: "CRC mismatch"}[res] + ": nothing copied"
            return run
        if res == 0:
            run.blinks.append("green x3")
            run.outcome, run.reason = "copied", "update copied to 0x08000000"
            return run
        run.blinks.append("red x1")
    run.blinks.append("red x8")
    run.reason = "erasing or writing failed 5 times: a programmer is needed"
    return run
