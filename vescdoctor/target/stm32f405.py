"""The STM32F405RG as pyOCD sees it: memory map, flash algorithm, register-level erase at x32 and lock check.

pyOCD 0.46 has no built-in F405 (pyocd-notes.md). The STM32F412 flash algorithm is imported, not copied: it only
touches registers the F405 has and numbers sectors the same way below 0x08100000. The F429 algorithm would set MER1
(bit 15), reserved on the F405.

The algorithm programs 32 bits at a time but erases with PSIZE x8 (FLASH_CR.PSIZE 0), the parallelism any supply
voltage allows. At 2.7-3.6 V the F405 erases at x32 (RM0090 3.6.2, table 6 "Program/erase parallelism"), about twice
as fast (DS8626 "Flash memory programming": a 128 KiB sector 1 s at x32, 2 s at x8). A VESC runs its MCU at 3.3 V,
so vescdoctor's own sessions (target/session.py sets `erase_x32`) erase sectors and the whole chip at the register
level with PSIZE x32 (`X32EraseFlash`); the rest (programming, the CRC analyzer) stays pyOCD's algorithm. Without
the flag (the pyOCD command line on the bench) the algorithm erases as it always does.
"""
from __future__ import annotations

import logging
import time

from pyocd.core import exceptions
from pyocd.core.memory_map import FlashRegion, MemoryMap, RamRegion
from pyocd.coresight.coresight_target import CoreSightTarget
from pyocd.flash.flash import Flash
from pyocd.target.builtin.target_STM32F412xx import FLASH_ALGO

from . import flash_regs as F

LOG = logging.getLogger(__name__)

TARGET_NAME = "stm32f405rg"

# DBGMCU: keep clocks running in low-power modes and freeze the watchdogs while the core is halted, as pyOCD's
# F4 targets do, so a firmware that sleeps or kicks a watchdog stays debuggable.
DBGMCU_CR, DBGMCU_CR_VALUE = 0xE0042004, 0x7
DBGMCU_APB1_FZ, DBGMCU_APB1_FZ_VALUE = 0xE0042008, 0x06E01DFF

MASS_ERASE_TIMEOUT_S = 40.0  # datasheet: 8 s typical, 16 s max
SECTOR_ERASE_TIMEOUT_S = 8.0  # DS8626: a 128 KiB sector 1 s typical at x32, 2 s at x8, 4 s max
X32_MIN_VOLTS = 2.7  # RM0090 table 6: x32 parallelism needs VDD 2.7-3.6 V
# SRAM the F412 algorithm leaves free: it runs at 0x20000000 with its stack below 0x20000800, pyOCD's CRC analyzer
# is loaded at 0x20002000 (FLASH_ALGO 'analyzer_address'); SRAM ends at 0x20020000. Two 56 KiB buffers from
# 0x20003000 (where the algorithm's own 4 KiB page buffers start).
PROGRAM_BUFFERS = (0x20003000, 0x20011000)
PROGRAM_BUFFER_SIZE = 0xE000


class X32EraseFlash(Flash):
    """pyOCD's Flash (the F412 algorithm) whose sector and chip erase run at the register level with PSIZE x32 when
    the target allows it (`target.erase_x32`, set by vescdoctor's own sessions); otherwise pyOCD's algorithm.

    It also programs from two large buffers (`load_program_buffer`, `start_program_from_buffer`): the algorithm's
    ProgramPage(address, size, buffer) programs any whole number of words from any buffer (pyOCD's own
    `start_program_page_with_buffer` is the same call, one 4 KiB page at a time), so 56 KiB cross SWD into one
    buffer while the chip programs the other's, and the per-call cost (core registers, resume, status) is paid
    once per 56 KiB instead of once per page."""

    program_buffer_size = PROGRAM_BUFFER_SIZE

    def load_program_buffer(self, number: int, data: bytes) -> None:
        self.target.write_memory_block8(PROGRAM_BUFFERS[number], list(data))

    def start_program_from_buffer(self, number: int, address: int, size: int) -> None:
        """Start ProgramPage over `size` bytes from program buffer `number`; wait_for_completion() gives its
        result (0: programmed)."""
        if size > PROGRAM_BUFFER_SIZE or size % 4:
            raise ValueError(f"{size} bytes do not fit a program buffer in whole words")
        self._call_function(self.flash_algo["pc_program_page"], address, size, PROGRAM_BUFFERS[number])

    def erase_sector(self, address):
        if not getattr(self.target, "erase_x32", False):
            return super().erase_sector(address)
        return erase_sector_x32(self.target, address)

    def erase_all(self):
        if not getattr(self.target, "erase_x32", False):
            return super().erase_all()
        return self.target.mass_erase()


class STM32F405RG(CoreSightTarget):
    VENDOR = "STMicroelectronics"

    MEMORY_MAP = MemoryMap(
        FlashRegion(start=0x08000000, length=0x10000, sector_size=0x4000, page_size=0x1000,
                    is_boot_memory=True, algo=FLASH_ALGO, flash_class=X32EraseFlash, name="flash_16k"),
        FlashRegion(start=0x08010000, length=0x10000, sector_size=0x10000, page_size=0x1000,
                    algo=FLASH_ALGO, flash_class=X32EraseFlash, name="flash_64k"),
        FlashRegion(start=0x08020000, length=0xE0000, sector_size=0x20000, page_size=0x1000,
                    algo=FLASH_ALGO, flash_class=X32EraseFlash, name="flash_128k"),
        RamRegion(start=0x20000000, length=0x20000, name="sram"),
        # CCM is data-only (RM0090 2.1: no I-bus path): never pyOCD's default RAM, where it runs flash
        # algorithms and test code; its sorted map would otherwise pick CCM, the lowest address.
        RamRegion(start=0x10000000, length=0x10000, name="ccm", is_default=False),
    )

    def __init__(self, session):
        super().__init__(session, self.MEMORY_MAP)
        self.erase_x32 = False  # target/session.py turns it on for vescdoctor's sessions on a 3.3 V board

    def post_connect_hook(self):
        if self.session.options.get("connect_mode") == "attach":
            return  # attach means: do not change the running chip
        self.write32(DBGMCU_CR, DBGMCU_CR_VALUE)
        self.write32(DBGMCU_APB1_FZ, DBGMCU_APB1_FZ_VALUE)

    def is_locked(self) -> bool:
        """True when read-out protection (RDP level 1 or 2) blocks the debugger's access to flash."""
        return F.rdp_level((self.read32(F.OPTCR) & F.OPTCR_RDP_MASK) >> F.OPTCR_RDP_SHIFT) != 0

    def mass_erase(self) -> None:
        """One MER erase of the whole flash (pyOCD's default would run EraseChip once per region: 3 x 8-16 s).

        Fails with FlashEraseFailure naming the SR error bits, e.g. WRPERR when any sector is write-protected.
        """
        from .chip_id import require_vesc_chip

        require_vesc_chip(self)  # the chip identity gate: a mass erase on another chip would be nobody's repair
        self.halt()
        wait_not_busy(self, MASS_ERASE_TIMEOUT_S)
        unlock_flash(self)
        self.write32(F.SR, F.SR_ERRORS | F.SR_EOP)  # clear stale status (write 1 to clear)
        self.write32(F.CR, F.CR_MER | F.PSIZE_X32)
        self.write32(F.CR, F.CR_MER | F.PSIZE_X32 | F.CR_STRT)
        sr = wait_not_busy(self, MASS_ERASE_TIMEOUT_S)
        self.write32(F.CR, F.CR_LOCK)
        if sr & F.SR_ERRORS:
            raise exceptions.FlashEraseFailure(
                f"mass erase failed: FLASH_SR=0x{sr:08X} ({', '.join(F.sr_error_names(sr))})", result_code=sr)


def erase_sector_x32(target, address: int) -> None:
    """Erase the sector starting at `address` with PSIZE x32 (RM0090 3.6.3 "Sector Erase": wait for BSY clear, SER
    and SNB, then STRT; wait for BSY clear). FLASH_CR is left locked if it was locked before. Fails with
    FlashEraseFailure naming the SR error bits (WRPERR on a write-protected sector)."""
    from .chip_id import require_vesc_chip

    number = F.sector_number(address)
    require_vesc_chip(target)  # the chip identity gate, as for the mass erase
    wait_not_busy(target, SECTOR_ERASE_TIMEOUT_S)
    was_locked = bool(target.read32(F.CR) & F.CR_LOCK)
    unlock_flash(target)
    target.write32(F.SR, F.SR_ERRORS | F.SR_EOP)  # clear stale status (write 1 to clear)
    cr = F.CR_SER | (number << F.CR_SNB_SHIFT) | F.PSIZE_X32
    try:
        target.write32(F.CR, cr)
        target.write32(F.CR, cr | F.CR_STRT)
        sr = wait_not_busy(target, SECTOR_ERASE_TIMEOUT_S)
    finally:  # also on a timeout or a cut transfer: no SER/SNB left armed, locked again as it was
        target.write32(F.CR, F.CR_LOCK if was_locked else 0)
    if sr & F.SR_ERRORS:
        raise exceptions.FlashEraseFailure(
            f"erase of sector {number} failed: FLASH_SR=0x{sr:08X} ({', '.join(F.sr_error_names(sr))})",
            address=address, result_code=sr)


def unlock_flash(target) -> None:
    """Write the FLASH_KEYR sequence if FLASH_CR is locked."""
    if target.read32(F.CR) & F.CR_LOCK:
        target.write32(F.KEYR, F.KEY1)
        target.write32(F.KEYR, F.KEY2)
        if target.read32(F.CR) & F.CR_LOCK:
            raise exceptions.FlashFailure("FLASH_CR stayed locked after the key sequence")


def wait_not_busy(target, timeout_s: float) -> int:
    """Poll FLASH_SR until BSY clears; return SR. Sleeps only while the chip says it is busy."""
    deadline = time.monotonic() + timeout_s
    while True:
        sr = target.read32(F.SR)
        if not sr & F.SR_BSY:
            return sr
        if time.monotonic() > deadline:
            raise exceptions.FlashFailure(f"FLASH_SR still busy after {timeout_s:.0f} s (0x{sr:08X})")
        time.sleep(0.01)


def register_target() -> None:
    """Make `target_override="stm32f405rg"` known to pyOCD (TARGET is a process-wide dict). Idempotent."""
    from pyocd.target import TARGET
    TARGET[TARGET_NAME] = STM32F405RG
