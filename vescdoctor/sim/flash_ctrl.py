"""The STM32F4 FLASH interface (0x40023C00) with the reference manual's semantics, over board.flash.

Keys and lock, sector and mass erase, programming with PSIZE, the SR error bits, option bytes through OPTCR/OPTKEYR,
RDP and WRP. Operations finish at once (BSY is never seen set); the simulated clock is charged the datasheet time.
Model choices where RM0090 is silent: with RDP level 1 in effect, erase and program set WRPERR; an invalid SNB
sets PGSERR; option changes of RDP take effect at the next reset, WRP and BOR at once.
"""
from __future__ import annotations

from collections.abc import Callable

from ..knowledge.flash import FLASH_BASE, FLASH_SIZE, SECTORS
from ..target import flash_regs as F
from .clock import OPTION_BYTES_S, SimClock
from .faults import Faults

PSIZE_BYTES = {0: 1, 1: 2, 2: 4, 3: 8}
CR_WRITABLE = F.CR_PG | F.CR_SER | F.CR_MER | F.CR_SNB_MASK | F.CR_PSIZE_MASK | (1 << 24) | (1 << 25)
CR_EOPIE = 1 << 24
OPTCR_WRITABLE = F.OPTCR_BOR_MASK | F.OPTCR_USER_MASK | F.OPTCR_RDP_MASK | F.OPTCR_NWRP_MASK


class BusError(Exception):
    """The access is refused on the bus (a debugger sees an AP fault, the core a bus fault)."""


class FlashController:
    def __init__(self, board, clock: SimClock, faults: Faults, *,
                 rdp_level: Callable[[], int], on_power_loss: Callable[[], None],
                 on_probe_unplug: Callable[[], None]):
        self.board = board
        self.clock = clock
        self.faults = faults
        self._rdp_level = rdp_level  # the level in effect (loaded at reset), not the stored byte
        self._on_power_loss = on_power_loss
        self._on_probe_unplug = on_probe_unplug
        self.reset()

    # -- reset and option bytes ------------------------------------------------------------------------------------
    def reset(self) -> None:
        self.acr = 0
        self.cr = F.CR_LOCK
        self.sr = 0
        self._key_step = 0
        self._keys_blocked = False  # a wrong key sequence locks CR until the next reset
        self._optkey_step = 0
        self.optcr = self.stored_optcr() | F.OPTCR_OPTLOCK

    def stored_optcr(self) -> int:
        """OPTCR as the option bytes in board.config give it (OPTLOCK clear)."""
        ob = self.board.config.option_bytes
        nwrp = 0xFFF & ~sum(1 << s for s in ob.wrp)
        return (nwrp << F.OPTCR_NWRP_SHIFT) | (ob.rdp << F.OPTCR_RDP_SHIFT) | F.OPTCR_USER_MASK | (ob.bor << 2)

    # -- register access ----------------------------------------------------------------------------------------------
    def read_reg(self, addr: int) -> int:
        offset = addr - F.FLASH_R_BASE
        if offset == 0x00:
            return self.acr
        if offset == 0x0C:
            return self.sr
        if offset == 0x10:
            return self.cr
        if offset == 0x14:
            return self.optcr
        return 0  # KEYR, OPTKEYR are write-only; the rest is reserved

    def write_reg(self, addr: int, value: int) -> None:
        offset = addr - F.FLASH_R_BASE
        if offset == 0x00:
            self.acr = value & 0x1F0F
        elif offset == 0x04:
            self._write_key(value)
        elif offset == 0x08:
            self._write_optkey(value)
        elif offset == 0x0C:
            self.sr &= ~(value & (F.SR_ERRORS | F.SR_EOP))  # write 1 to clear
        elif offset == 0x10:
            self._write_cr(value)
        elif offset == 0x14:
            self._write_optcr(value)

    def _write_key(self, value: int) -> None:
        expected = (F.KEY1, F.KEY2)[self._key_step]
        if not self.cr & F.CR_LOCK or self._keys_blocked or value != expected:
            self._keys_blocked = True
            self.cr |= F.CR_LOCK
            raise BusError("wrong FLASH_KEYR sequence: CR locked until reset")
        self._key_step += 1
        if self._key_step == 2:
            self._key_step = 0
            self.cr &= ~F.CR_LOCK

    def _write_optkey(self, value: int) -> None:
        expected = (F.OPTKEY1, F.OPTKEY2)[self._optkey_step]
        if not self.optcr & F.OPTCR_OPTLOCK or value != expected:
            self._optkey_step = 0
            raise BusError("wrong FLASH_OPTKEYR sequence")
        self._optkey_step += 1
        if self._optkey_step == 2:
            self._optkey_step = 0
            self.optcr &= ~F.OPTCR_OPTLOCK

    def _write_cr(self, value: int) -> None:
        if self.cr & F.CR_LOCK:
            return  # writes are ignored while locked
        if value & F.CR_LOCK:
            self.cr = (self.cr & CR_WRITABLE) | F.CR_LOCK
            return
        self.cr = value & CR_WRITABLE
        if value & F.CR_STRT:
            self._start_erase()

    def _write_optcr(self, value: int) -> None:
        if self.optcr & F.OPTCR_OPTLOCK:
            return
        if value & F.OPTCR_OPTLOCK:
            self.optcr |= F.OPTCR_OPTLOCK
            return
        self.optcr = value & OPTCR_WRITABLE
        if value & F.OPTCR_OPTSTRT:
            self._program_option_bytes()

    # -- operations ---------------------------------------------------------------------------------------------------
    def _finish(self, errors: int) -> None:
        self.sr |= errors
        if not errors and self.cr & CR_EOPIE:
            self.sr |= F.SR_EOP

    def _start_erase(self) -> None:
        ser, mer = self.cr & F.CR_SER, self.cr & F.CR_MER
        if self.cr & F.CR_PG or bool(ser) == bool(mer):
            return self._finish(F.SR_PGSERR)
        if self._rdp_level() != 0:
            return self._finish(F.SR_WRPERR)
        wrp = self.board.config.option_bytes.wrp
        if mer:
            if wrp:
                return self._finish(F.SR_WRPERR)
            self._erase(0, FLASH_SIZE)
            self.clock.mass_erase(self._parallelism())
            return self._finish(0)
        snb = (self.cr & F.CR_SNB_MASK) >> F.CR_SNB_SHIFT
        if snb >= len(SECTORS):
            return self._finish(F.SR_PGSERR)
        if snb in wrp:
            return self._finish(F.SR_WRPERR)
        sector = SECTORS[snb]
        self._erase(sector.address - FLASH_BASE, sector.size)
        self.clock.sector_erase(sector.size, self._parallelism())
        self._finish(0)
        if self.faults.count_erase():
            self._on_power_loss()

    def _parallelism(self) -> int:
        """Bytes per erase step from CR.PSIZE (RM0090 3.6.3: erase time depends on the parallelism)."""
        return PSIZE_BYTES[(self.cr & F.CR_PSIZE_MASK) >> F.CR_PSIZE_SHIFT]

    def _erase(self, offset: int, size: int) -> None:
        self.board.flash[offset:offset + size] = b"\xff" * size
        self._apply_stuck_bits(offset, size)

    def apply_stuck_bits(self) -> None:
        """Stuck cells over the whole flash: they hold their value whatever was laid out or written."""
        self._apply_stuck_bits(0, FLASH_SIZE)

    def _apply_stuck_bits(self, offset: int, size: int) -> None:
        for addr, value in self.faults.stuck_bits.items():
            if offset <= addr - FLASH_BASE < offset + size:
                self.board.flash[addr - FLASH_BASE] = value

    def program(self, addr: int, size: int, value: int) -> None:
        """A data write of `size` bytes at flash address `addr` (from the core or the debugger)."""
        if self.cr & F.CR_LOCK or not self.cr & F.CR_PG or self.cr & (F.CR_SER | F.CR_MER):
            return self._finish(F.SR_PGSERR)
        if PSIZE_BYTES[(self.cr & F.CR_PSIZE_MASK) >> F.CR_PSIZE_SHIFT] != size:
            return self._finish(F.SR_PGPERR)
        if addr % size:
            return self._finish(F.SR_PGAERR)
        offset = addr - FLASH_BASE
        wrp = self.board.config.option_bytes.wrp
        if self._rdp_level() != 0 or wrp and any(s.number in wrp for s in SECTORS if addr in s):
            return self._finish(F.SR_WRPERR)
        flash = self.board.flash
        if size == 1:  # the common case (pyOCD's algorithm programs bytes): no byte-wise generator
            flash[offset] &= value
        else:
            old = int.from_bytes(flash[offset:offset + size], "little")
            flash[offset:offset + size] = (old & value).to_bytes(size, "little")  # programming only clears bits
        if self.board.config.faults.get("stuck_bits"):
            self._apply_stuck_bits(offset, size)
        self.clock.program()
        self._finish(0)
        if self.faults.count_programmed(size):
            self._on_probe_unplug()

    def _program_option_bytes(self) -> None:
        ob = self.board.config.option_bytes
        if ob.rdp_level == 2:
            return self._finish(0)  # level 2: option bytes are frozen for good
        new_rdp = (self.optcr & F.OPTCR_RDP_MASK) >> F.OPTCR_RDP_SHIFT
        if ob.rdp_level == 1 and new_rdp == F.RDP_LEVEL0:
            # Regression to level 0: the whole flash is mass-erased before the option bytes change.
            self._erase(0, FLASH_SIZE)
            self.clock.mass_erase()
        nwrp = (self.optcr & F.OPTCR_NWRP_MASK) >> F.OPTCR_NWRP_SHIFT
        ob.rdp = new_rdp
        ob.wrp = [s for s in range(F.SECTOR_COUNT) if not nwrp & (1 << s)]
        ob.bor = (self.optcr & F.OPTCR_BOR_MASK) >> F.OPTCR_BOR_SHIFT
        self.clock.charge("option_bytes", OPTION_BYTES_S)
        self._finish(0)
