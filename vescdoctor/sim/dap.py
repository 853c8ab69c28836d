"""The STM32F405's SW-DP and its AHB-AP, register by register, as a probe reaches them.

A probe first checks `chip.swd_answers()` (no ACK: power, wiring, RDP 2, firmware holding the SWD pins); register
and memory transfers then go through here. Memory transfers are what the ST-Link's READMEM/WRITEMEM commands do
on the AHB-AP: `read_memory` / `write_memory` with the size the command implies.
"""
from __future__ import annotations

DPIDR = 0x2BA01477  # ARM SW-DP v1 (designer ARM, part 0xBA), as on every STM32F4
AHB_AP_IDR = 0x24770011  # AHB-AP, ARM, class MEM-AP
AHB_AP_BASE = 0xE00FF003  # ROM table at 0xE00FF000, ADIv5 format, present

CSYSPWRUPACK, CSYSPWRUPREQ = 1 << 31, 1 << 30
CDBGPWRUPACK, CDBGPWRUPREQ = 1 << 29, 1 << 28
STICKYERR, STICKYCMP, STICKYORUN, WDATAERR = 1 << 5, 1 << 4, 1 << 1, 1 << 7
ABORT_CLEARS = {1 << 1: STICKYCMP, 1 << 2: STICKYERR, 1 << 3: WDATAERR, 1 << 4: STICKYORUN}

CSW_RESET = 0x23000040  # DbgSwEnable, HPROT data/privileged, DeviceEn
CSW_WRITABLE = 0x7F000037  # Prot, AddrInc, Size
SIZES = {0: 1, 1: 2, 2: 4}


class Dap:
    def __init__(self, chip):
        self.chip = chip
        self.ctrl_stat = 0
        self.select = 0
        self.rdbuff = 0
        self.csw = CSW_RESET
        self.tar = 0

    def line_reset(self) -> None:
        """What entering SWD does: the DP comes out of its reset state; AP settings survive."""
        self.select = 0

    # -- DP -------------------------------------------------------------------------------------------------------
    def read_dp(self, addr: int) -> int:
        addr &= 0xC
        if addr == 0x0:
            return DPIDR
        if addr == 0x4:
            acks = (CSYSPWRUPACK if self.ctrl_stat & CSYSPWRUPREQ else 0) | \
                   (CDBGPWRUPACK if self.ctrl_stat & CDBGPWRUPREQ else 0)
            return self.ctrl_stat | acks
        if addr == 0xC:
            return self.rdbuff
        return 0  # SELECT is write-only (RESEND on DPv1 reads 0 here)

    def write_dp(self, addr: int, value: int) -> None:
        addr &= 0xC
        if addr == 0x0:  # ABORT
            for bit, sticky in ABORT_CLEARS.items():
                if value & bit:
                    self.ctrl_stat &= ~sticky
        elif addr == 0x4:
            self.ctrl_stat = (self.ctrl_stat & (STICKYERR | STICKYCMP | STICKYORUN | WDATAERR)) | \
                             (value & 0x5F000F0D)
        elif addr == 0x8:
            self.select = value

    # -- AP -------------------------------------------------------------------------------------------------------
    def read_ap(self, apsel: int, addr: int) -> int:
        if apsel != 0:
            return 0  # no AP there: IDR reads 0, which ends pyOCD's AP scan
        addr &= 0xFC
        if addr == 0x00:
            value = self.csw
        elif addr == 0x04:
            value = self.tar
        elif addr == 0x0C:
            value = self._drw_read()
        elif 0x10 <= addr <= 0x1C:
            value = self._mem_word((self.tar & ~0xF) | (addr & 0xC))
        elif addr == 0xF8:
            value = AHB_AP_BASE
        elif addr == 0xFC:
            value = AHB_AP_IDR
        else:
            value = 0  # CFG (no large data/address) and reserved
        self.rdbuff = value
        return value

    def write_ap(self, apsel: int, addr: int, value: int) -> None:
        if apsel != 0:
            return
        addr &= 0xFC
        if addr == 0x00:
            size = value & 0x7
            self.csw = (CSW_RESET & ~CSW_WRITABLE) | (value & CSW_WRITABLE)
            if size not in SIZES:
                self.csw = (self.csw & ~0x7) | 2  # unsupported sizes read back as word
        elif addr == 0x04:
            self.tar = value & 0xFFFFFFFF
        elif addr == 0x0C:
            self._drw_write(value)
        elif 0x10 <= addr <= 0x1C:
            self.chip.debug_write((self.tar & ~0xF) | (addr & 0xC), value.to_bytes(4, "little"), 4)

    def _mem_word(self, addr: int) -> int:
        return int.from_bytes(self.chip.debug_read(addr, 4, 4), "little")

    def _drw_read(self) -> int:
        size = SIZES[self.csw & 0x7]
        data = self.chip.debug_read(self.tar, size, size)
        value = int.from_bytes(data, "little") << ((self.tar & 3) * 8)  # byte lanes
        self._increment(size)
        return value & 0xFFFFFFFF

    def _drw_write(self, value: int) -> None:
        size = SIZES[self.csw & 0x7]
        lane = (value >> ((self.tar & 3) * 8)) & ((1 << (8 * size)) - 1)
        self.chip.debug_write(self.tar, lane.to_bytes(size, "little"), size)
        self._increment(size)

    def _increment(self, size: int) -> None:
        if (self.csw >> 4) & 0x3 == 1:
            # Single increment, wrapping within 4 KB as the Cortex-M4's AHB-AP does (its TRM; pyOCD knows IDR
            # 0x24770011 by it and writes TAR once per 4 KB). ADIv5 only promises 1 KB.
            self.tar = (self.tar & ~0xFFF) | ((self.tar + size) & 0xFFF)

    def sticky_error(self) -> None:
        self.ctrl_stat |= STICKYERR
