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
from . import boot_link, chip_state, firmware_run
from .clock import SimClock
from .core import PERIPH_PAGE, PPB_BASE, PPB_SIZE, SYSMEM_BASE, SYSMEM_SIZE, Core, State
from .faults import Faults
from .flash_ctrl import BusError, FlashController
from .ppb import PrivatePeripheralBus

# From the firmware's start to its USB device enumerated: attach debounce 100 ms (USB 2.0 spec 7.1.7.3), bus reset
# 10-20 ms (7.1.7.5), reset recovery 10 ms, descriptor requests; an estimate, the firmware's own init before it
# connects USB is not modelled.
USB_ENUMERATION_S = 0.15
FLASH_CTRL_STATE = ("acr", "cr", "sr", "optcr", "_key_step", "_keys_blocked", "_optkey_step")


ROM_SP, ROM_RESET, ROM_LOOP = 0x20002000, 0x1FFF0200, 0x1FFF0204
ROM_END = 0x1FFF7800  # the bootloader's ROM ends where OTP begins (RM0090 3.3, table 5)


def rom_bootloader() -> bytes:
    """A stand-in for ST's ROM bootloader (not ST's code): a vector table whose reset handler waits for interrupts
    in a loop (the real one waits for USART/CAN/USB DFU traffic) and whose other vectors loop; zeros to its end,
    as a programmed ROM is not blank."""
    rom = bytearray(ROM_END - SYSMEM_BASE)
    vectors = [ROM_SP, ROM_RESET | 1] + [ROM_LOOP | 1] * 96  # 16 system + 82 STM32F405 interrupt vectors
    rom[:4 * len(vectors)] = struct.pack(f"<{len(vectors)}I", *vectors)
    code = ROM_RESET - SYSMEM_BASE
    rom[code:code + 6] = bytes.fromhex("30bffde7fee7")  # wfi; b .-2 ; b .
    return bytes(rom)


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
        self.flash_ctrl.apply_stuck_bits()  # a stuck cell reads its value to everyone, touched or not
        if board.config.firmware_run != "runs" and board.config.firmware_run_image is None:
            board.config.firmware_run_image = firmware_run.app_digest(board.flash)  # the image that crashes
        self.core = Core(self)
        self.ppb = PrivatePeripheralBus(self.core, board.config.chip.idcode)
        self.nrst_low = False  # NRST held low by the probe (only when the line is wired)
        self.firmware_ran = True  # since the last reset: a powered board found on the bench has been running
        self.probe_unplugged = False
        self.usb_ready_at = 0.0  # on the timeline: when the firmware's USB device has enumerated since the reset
        self._booted = True
        self._load_system_memory()
        self.core.map_boot_alias(self.boots_system_memory)
        self.core.set_flash_access(self.rdp_level == 0)
        if board.config.power != "on":
            self.core.state = State.OFF
        elif not chip_state.load(self, board.path):  # else a powered chip as the last command left it
            self.core.leave_reset()  # found powered with nothing attached: it left reset into what flash holds

    # -- what a powered chip keeps between sessions (chip_state.py) ------------------------------------------------
    def persistent_state(self) -> dict:
        fc = self.flash_ctrl
        return {
            "core": self.core.persistent_state(),
            "chip": {"rdp_level": self.rdp_level, "firmware_ran": self.firmware_ran, "booted": self._booted,
                     "nrst_low": self.nrst_low},
            "periph": {str(a): v for a, v in self._periph_page.items()},
            "ppb": {str(a): v for a, v in self.ppb._regs.items()},
            "flash_ctrl": {k: getattr(fc, k) for k in FLASH_CTRL_STATE},
        }

    def restore_state(self, saved: dict) -> None:
        c = saved["chip"]
        self.rdp_level, self.firmware_ran = int(c["rdp_level"]), bool(c["firmware_ran"])
        self._booted, self.nrst_low = bool(c["booted"]), bool(c["nrst_low"])
        self._periph_page = {int(a): int(v) for a, v in saved["periph"].items()}
        self.ppb._regs = {int(a): int(v) for a, v in saved["ppb"].items()}
        for key in FLASH_CTRL_STATE:
            setattr(self.flash_ctrl, key, type(getattr(self.flash_ctrl, key))(saved["flash_ctrl"][key]))
        self.core.set_flash_access(self.rdp_level == 0)
        self.core.restore_state(saved["core"])

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
        return boot_link.unique_id(self.board)

    # -- faults ---------------------------------------------------------------------------------------------------------
    def _fault_fired(self, name: str) -> None:
        self.on_fault(name)

    def power_loss(self) -> None:
        self.power_off()

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
        self.sram[:] = bytes(len(self.sram))  # SRAM and CCM lose their contents without power (slice: same buffers)
        self.ccm[:] = bytes(len(self.ccm))

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
        self.core.map_boot_alias(self.boots_system_memory)  # the BOOT pins are sampled at reset
        self.core.set_flash_access(self.rdp_level == 0)

    def firmware_started(self) -> None:
        """The core left reset into flash: the firmware's first-boot effects apply once per reset."""
        self.firmware_ran = True
        self.usb_ready_at = self.clock.timeline.now + USB_ENUMERATION_S
        if not self._booted:
            self._booted = True
            boot_link.power_on_reset(self.board)
        csr = firmware_run.RCC_CSR_RESET
        if self.firmware_crash() == "watchdog-loop":
            csr |= firmware_run.IWDGRSTF  # the independent watchdog keeps resetting it (RM0090 7.3.21)
        self._periph_page[firmware_run.RCC_CSR] = csr

    def firmware_crash(self) -> str | None:
        """What the running image does when it does not run normally (board.md firmware_run), else None."""
        if self.boots_system_memory:
            return None
        state = boot_link.evaluate(self.board)
        return self.board.config.firmware_run if getattr(state, "running", None) == "firmware-crash" else None

    def running_state(self) -> State:
        """The core's state once a runnable image started: locked up when that is what the firmware does."""
        return State.LOCKUP if self.firmware_crash() == "lockup" else State.FIRMWARE

    def image_runnable(self) -> bool:
        """Whether the image the core boots is one the boot model runs (else the bench executes it, and it faults).
        The ROM bootloader (BOOT0 high) always runs."""
        return self.boots_system_memory or boot_link.image_runnable(self.board)

    @property
    def boots_system_memory(self) -> bool:
        return self.board.config.boot0 == "high"

    def boot_memory(self) -> bytes:
        """The vector table the core fetches at address 0: flash, or system memory with BOOT0 high (RM0090 2.4)."""
        return bytes(self.sysmem[:8] if self.boots_system_memory else self.board.flash[:8])

    def _load_system_memory(self) -> None:
        uid = self.unique_id()
        base = SYSMEM_BASE
        rom = rom_bootloader()
        self.sysmem[:len(rom)] = rom
        self.sysmem[UID_ADDR - base:UID_ADDR - base + 12] = uid
        self.sysmem[FLASH_SIZE_ADDR - base:FLASH_SIZE_ADDR - base + 2] = struct.pack("<H", self.board.config.chip.flash_kib)
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
        if addr < FLASH_BASE + FLASH_SIZE or F.FLASH_R_BASE <= addr < F.FLASH_R_BASE + 0x400:
            # A flash read stalls while the flash is busy (RM0090 3.5.5); FLASH_SR shows BSY until done: either
            # way the debugger sees the chip's erase or programming finished only when it is.
            self.clock.timeline.sync()
        out = bytearray()
        end = addr + nbytes
        while addr < end:
            self._check_access(addr)
            chunk, region_end = self._read_region(addr, end)
            out += chunk
            addr = region_end
        return bytes(out)

    def _read_region(self, addr: int, end: int) -> tuple[bytes, int]:
        if addr < SYSMEM_SIZE and self.boots_system_memory:  # the alias at 0 shows system memory
            stop = min(end, SYSMEM_SIZE)
            return bytes(self.sysmem[addr:stop]), stop
        flash_off = addr - FLASH_BASE if FLASH_BASE <= addr < FLASH_BASE + FLASH_SIZE else (
            addr if addr < FLASH_SIZE and not self.boots_system_memory else None)
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
            if here < SYSMEM_SIZE and self.boots_system_memory:
                raise BusAccessError(here, "system memory is read-only")
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
