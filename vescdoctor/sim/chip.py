"""The simulated STM32F405RG: its memory bus as the debugger and the core see it, reset, power and the SWD pins.

Holds the board's flash (board.flash, mutated in place: never rebind it, Unicorn points into it), SRAM, CCM and
system memory (UID, flash size, option bytes), the FLASH interface, the private peripheral bus and the core.
"""
from __future__ import annotations

import struct
from collections.abc import Callable

from ..knowledge.flash import (
    CCM_BASE,
    CCM_SIZE,
    FLASH_BASE,
    FLASH_SIZE,
    FLASH_SIZE_ADDR,
    OPTION_BYTES_ADDR,
    SRAM_BASE,
    SRAM_SIZE,
    UID_ADDR,
)
from ..target import flash_regs as F
from . import boot
from .clock import SimClock
from .core import PERIPH_PAGE, PPB_BASE, PPB_SIZE, SYSMEM_BASE, SYSMEM_SIZE, Core, State
from .faults import Faults
from .flash_ctrl import BusError, FlashController
from .ppb import PrivatePeripheralBus


class Chip:
    def __init__(self, board, *, on_fault: Callable[[str], None] = lambda name: None):
        self.board = board
        self.on_fault = on_fault  # the bench saves the board when a one-shot fault fires
        self.clock = SimClock(board.config)
        self.faults = Faults(board.config, on_fired=self._fault_fired)
        self.sram = bytearray(SRAM_SIZE)
        self.ccm = bytearray(CCM_SIZE)
        self.sysmem = bytearray(b"\xff" * SYSMEM_SIZE)
        self._periph_page: dict[int, int] = {}  # CRC and RCC registers: plain storage
        self.rdp_level = board.config.option_bytes.rdp_level  # in effect since the last reset
        self.flash_ctrl = FlashController(board, self.clock, self.faults, rdp_level=lambda: self.rdp_level,
                                          on_power_loss=self.power_loss, on_probe_unplug=self.probe_unplug)
        self.core = Core(self)
        self.ppb = PrivatePeripheralBus(self.core)
        self.nrst_low = False  # NRST held low by the probe (only when the line is wired)
        self.firmware_ran = True  # since the last reset: a powered board found on the bench has been running
        self.probe_unplugged = False
        self._booted = True
        self._load_system_memory()
        self.core.set_flash_access(self.rdp_level == 0)
        if board.config.power == "on":
            self.core.load_reset_registers()
            self.core.state = State.FIRMWARE
        else:
            self.core.state = State.OFF

    # -- state as the outside sees it ---------------------------------------------------------------------------------
    @property
    def powered(self) -> bool:
        return self.board.config.power == "on"

    def swd_answers(self) -> bool:
        """Whether the DP acknowledges at all now (power, wiring, RDP 2, firmware that took the SWD pins)."""
        swd = self.board.config.swd
        if not self.powered or swd in ("miswired", "dead") or self.rdp_level == 2:
            return False
        if swd == "needs-reset":
            return self.nrst_low or not self.firmware_ran
        return True

    def flash_readable(self) -> bool:
        return self.rdp_level == 0

    def unique_id(self) -> bytes:
        return boot.unique_id(self.board)

    # -- faults ---------------------------------------------------------------------------------------------------------
    def _fault_fired(self, name: str) -> None:
        self.on_fault(name)

    def power_loss(self) -> None:
        self.board.config.power = "off"
        self.core.power_off()

    def probe_unplug(self) -> None:
        self.probe_unplugged = True

    # -- power and reset ------------------------------------------------------------------------------------------------
    def power_on(self) -> None:
        """The user powers the board: power-on reset, the firmware starts."""
        self.board.config.power = "on"
        self.core.power_on_reset()
        self._reset_peripherals()
        self.core.leave_reset()

    def power_off(self) -> None:
        self.board.config.power = "off"
        self.core.power_off()

    def drive_nrst(self, low: bool) -> None:
        """The probe drives NRST. Nothing happens when the line is not wired or the board is unpowered."""
        if not (self.board.config.nrst_wired and self.powered):
            return
        if low and not self.nrst_low:
            self.nrst_low = True
            self._reset_peripherals()
            self.core.hold_in_reset()
        elif not low and self.nrst_low:
            self.nrst_low = False
            self.core.leave_reset()

    def system_reset(self) -> None:
        """SYSRESETREQ (or the watchdog): the whole chip resets except the debug logic; then it leaves reset."""
        self._reset_peripherals()
        self.core.leave_reset()

    def _reset_peripherals(self) -> None:
        self.firmware_ran = False
        self._booted = False
        self.rdp_level = self.board.config.option_bytes.rdp_level  # option bytes load at reset
        self.flash_ctrl.reset()
        self.ppb.reset()
        self._periph_page.clear()
        self._load_system_memory()
        self.core.set_flash_access(self.rdp_level == 0)

    def firmware_started(self) -> None:
        """The core left reset into flash: the firmware's first-boot effects apply once per reset."""
        self.firmware_ran = True
        if not self._booted:
            self._booted = True
            boot.power_on_reset(self.board)

    def boot_memory(self) -> bytes:
        """The vector table the core fetches at address 0 (boot0 high would alias system memory)."""
        return bytes(self.board.flash[:8])

    def _load_system_memory(self) -> None:
        uid = self.unique_id()
        base = SYSMEM_BASE
        self.sysmem[UID_ADDR - base:UID_ADDR - base + 12] = uid
        self.sysmem[FLASH_SIZE_ADDR - base:FLASH_SIZE_ADDR - base + 2] = struct.pack("<H", FLASH_SIZE // 1024)
        optcr = self.flash_ctrl.stored_optcr()
        ob = OPTION_BYTES_ADDR - base
        self.sysmem[ob:ob + 16] = struct.pack("<HHHHHHHH", optcr & 0xFFEC, 0xFFFF, 0xFFFF, 0xFFFF,
                                              optcr >> 16 & 0x0FFF, 0xFFFF, 0xFFFF, 0xFFFF)

    # -- the bus --------------------------------------------------------------------------------------------------------
    def periph_read(self, addr: int, size: int) -> int:
        word = addr & ~3
        if F.FLASH_R_BASE <= word < F.FLASH_R_BASE + 0x400:
            value = self.flash_ctrl.read_reg(word)
        else:
            value = self._periph_page.get(word, 0)
        return (value >> ((addr & 3) * 8)) & ((1 << (8 * size)) - 1)

    def periph_write(self, addr: int, size: int, value: int) -> None:
        word = addr & ~3
        if size != 4:
            shift, mask = (addr & 3) * 8, (1 << (8 * size)) - 1
            value = (self.periph_read(word, 4) & ~(mask << shift)) | ((value & mask) << shift)
        if F.FLASH_R_BASE <= word < F.FLASH_R_BASE + 0x400:
            self.flash_ctrl.write_reg(word, value)
        else:
            self._periph_page[word] = value & 0xFFFFFFFF

    def _check_access(self, addr: int) -> None:
        if self.core.state is State.RESET and not PPB_BASE <= addr < PPB_BASE + PPB_SIZE:
            raise BusAccessError(addr, "the system bus is held in reset")

    def debug_read(self, addr: int, nbytes: int, size: int) -> bytes:
        """Read `nbytes` with accesses of `size` bytes. Raises BusAccessError at the first address that faults."""
        out = bytearray()
        end = addr + nbytes
        while addr < end:
            self._check_access(addr)
            chunk, region_end = self._read_region(addr, end)
            out += chunk
            addr = region_end
        return bytes(out)

    def _read_region(self, addr: int, end: int) -> tuple[bytes, int]:
        flash_off = addr - FLASH_BASE if FLASH_BASE <= addr < FLASH_BASE + FLASH_SIZE else (
            addr if addr < FLASH_SIZE else None)
        if flash_off is not None:
            if not self.flash_readable():
                raise BusAccessError(addr, "flash is read-protected (RDP level 1)")
            stop = min(end, addr + FLASH_SIZE - flash_off)
            return bytes(self.board.flash[flash_off:flash_off + stop - addr]), stop
        for base, size, buf in ((SRAM_BASE, SRAM_SIZE, self.sram), (CCM_BASE, CCM_SIZE, self.ccm),
                                (SYSMEM_BASE, SYSMEM_SIZE, self.sysmem)):
            if base <= addr < base + size:
                stop = min(end, base + size)
                return bytes(buf[addr - base:stop - base]), stop
        if PERIPH_PAGE <= addr < PERIPH_PAGE + 0x1000:
            return self.periph_read(addr, 1).to_bytes(1, "little"), addr + 1
        if 0x40000000 <= addr < 0x40080000 or 0x50000000 <= addr < 0x50061000:
            stop = min(end, (addr | 0xFFF) + 1)
            return bytes(self.core.uc.mem_read(addr, stop - addr)), stop
        if PPB_BASE <= addr < PPB_BASE + PPB_SIZE:
            stop = min(end, (addr & ~3) + 4)
            word = self.ppb.read32(addr).to_bytes(4, "little")
            return word[addr & 3:(addr & 3) + stop - addr], stop
        raise BusAccessError(addr, "nothing answers at this address")

    def debug_write(self, addr: int, data: bytes, size: int) -> None:
        """Write `data` with accesses of `size` bytes. Raises BusAccessError at the first address that faults."""
        for pos in range(0, len(data), size):
            here = addr + pos
            self._check_access(here)
            unit = data[pos:pos + size]
            value = int.from_bytes(unit, "little")
            if FLASH_BASE <= here < FLASH_BASE + FLASH_SIZE or here < FLASH_SIZE:
                if not self.flash_readable():
                    raise BusAccessError(here, "flash is read-protected (RDP level 1)")
                self.flash_ctrl.program(here if here >= FLASH_BASE else here + FLASH_BASE, len(unit), value)
                continue
            written = False
            for base, length, buf in ((SRAM_BASE, SRAM_SIZE, self.sram), (CCM_BASE, CCM_SIZE, self.ccm)):
                if base <= here < base + length:
                    buf[here - base:here - base + len(unit)] = unit
                    written = True
            if written:
                continue
            if PERIPH_PAGE <= here < PERIPH_PAGE + 0x1000:
                try:
                    self.periph_write(here, len(unit), value)
                except BusError as exc:
                    raise BusAccessError(here, str(exc)) from None
            elif 0x40000000 <= here < 0x40080000 or 0x50000000 <= here < 0x50061000:
                self.core.uc.mem_write(here, unit)
            elif PPB_BASE <= here < PPB_BASE + PPB_SIZE:
                self.ppb.write(here, len(unit), value)
            else:
                raise BusAccessError(here, "nothing writable at this address")
            if not self.powered:
                raise BusAccessError(here, "target power lost")


class BusAccessError(Exception):
    def __init__(self, addr: int, why: str):
        super().__init__(f"bus fault at 0x{addr:08X}: {why}")
        self.addr = addr
