"""The private peripheral bus (0xE0000000..0xE00FFFFF) of an STM32F405's Cortex-M4 r0p1, as a debugger reads it.

ROM table and CoreSight component IDs are the real Cortex-M4 values (pyOCD test/unit/test_rom_table.py,
MockM4Components). Halting-debug registers (DHCSR, DCRSR, DCRDR, DEMCR, DFSR, AIRCR) belong to the core model;
everything else here is an ID constant or a plain read/write register.
"""
from __future__ import annotations

from typing import Protocol

CPUID_VALUE = 0x410FC241  # ARM Cortex-M4 r0p1
DBGMCU_IDCODE_VALUE = 0x10076413  # DEV_ID 0x413 (F405/407), REV_ID 0x1007 (rev 1)

DHCSR, DCRSR, DCRDR, DEMCR = 0xE000EDF0, 0xE000EDF4, 0xE000EDF8, 0xE000EDFC
DFSR, AIRCR = 0xE000ED30, 0xE000ED0C
CORE_REGS = (DHCSR, DCRSR, DCRDR, DEMCR, DFSR, AIRCR)
DBGMCU_IDCODE = 0xE0042000

ROM_TABLE_BASE = 0xE00FF000
# base -> (CIDR, PIDR, DEVTYPE, DEVID0)
COMPONENTS = {
    ROM_TABLE_BASE: (0xB105100D, 0x4000BB4C4, 0, 0),
    0xE000E000: (0xB105E00D, 0x4000BB00C, 0, 0),  # SCS
    0xE0001000: (0xB105E00D, 0x4003BB002, 0, 0),  # DWT
    0xE0002000: (0xB105E00D, 0x4002BB003, 0, 0),  # FPB
    0xE0000000: (0xB105E00D, 0x4003BB001, 0, 0),  # ITM
    0xE0040000: (0xB105900D, 0x4000BB9A1, 0x11, 0xCA1),  # TPIU
    0xE0041000: (0xB105900D, 0x4000BB925, 0x13, 0),  # ETM
}
ROM_ENTRIES = (0xFFF0F003, 0xFFF02003, 0xFFF03003, 0xFFF01003, 0xFFF41003, 0xFFF42003, 0)

CONSTANTS = {
    0xE000ED00: CPUID_VALUE,
    0xE000E004: 0x00000002,  # ICTR: up to 96 interrupts (the F405 has 82)
    0xE000ED6C: 0x01111131,  # ID_ISAR3: SIMD = 3, the DSP extension
    0xE000ED78: 0x00000000,  # CLIDR: no cache
    0xE000ED90: 0x00000800,  # MPU_TYPE: 8 regions
    0xE000EF40: 0x10110021,  # MVFR0: single-precision FPv4
    0xE000EF44: 0x11000011,  # MVFR1
    0xE000EF48: 0x00000000,  # MVFR2 (not on v7-M)
    0xE0001000: 0x40000000,  # DWT_CTRL: 4 comparators
    0xE0002000: 0x00000260,  # FP_CTRL: 6 code + 2 literal comparators
    0xE0042000: DBGMCU_IDCODE_VALUE,
}


class CoreDebug(Protocol):
    def read_debug_reg(self, addr: int) -> int: ...
    def write_debug_reg(self, addr: int, value: int) -> None: ...


def _id_registers() -> dict[int, int]:
    regs: dict[int, int] = {}
    for base, (cidr, pidr, devtype, devid0) in COMPONENTS.items():
        regs[base + 0xFC8] = devid0
        regs[base + 0xFCC] = devtype
        for i in range(4):
            regs[base + 0xFD0 + 4 * i] = (pidr >> (32 + 8 * i)) & 0xFF  # PIDR4..7
            regs[base + 0xFE0 + 4 * i] = (pidr >> (8 * i)) & 0xFF  # PIDR0..3
            regs[base + 0xFF0 + 4 * i] = (cidr >> (8 * i)) & 0xFF  # CIDR0..3
    for i, entry in enumerate(ROM_ENTRIES):
        regs[ROM_TABLE_BASE + 4 * i] = entry
    return regs


ID_REGISTERS = _id_registers()


class PrivatePeripheralBus:
    def __init__(self, core: CoreDebug, idcode: int = DBGMCU_IDCODE_VALUE):
        self.core = core
        self.idcode = idcode  # DBGMCU_IDCODE: the board's `chip:` (a clone or another MCU reads otherwise)
        self._regs: dict[int, int] = {}  # everything plain: VTOR, CPACR, DEMCR-enabled blocks, FPB comparators ...

    def reset(self) -> None:
        """System reset: SCS registers other than the debug ones go back to zero (DBGMCU keeps its value)."""
        self._regs = {a: v for a, v in self._regs.items() if 0xE0042000 <= a < 0xE0043000}

    def read32(self, addr: int) -> int:
        addr &= ~3
        if addr in CORE_REGS:
            return self.core.read_debug_reg(addr)
        if addr == DBGMCU_IDCODE:
            return self.idcode
        if addr in CONSTANTS:
            return CONSTANTS[addr]
        if addr in ID_REGISTERS:
            return ID_REGISTERS[addr]
        return self._regs.get(addr, 0)

    def write32(self, addr: int, value: int) -> None:
        addr &= ~3
        if addr in CORE_REGS:
            self.core.write_debug_reg(addr, value)
        elif addr not in CONSTANTS and addr not in ID_REGISTERS:
            self._regs[addr] = value & 0xFFFFFFFF

    def read(self, addr: int, size: int) -> int:
        shift = (addr & 3) * 8
        return (self.read32(addr) >> shift) & ((1 << (size * 8)) - 1)

    def write(self, addr: int, size: int, value: int) -> None:
        if size == 4:
            return self.write32(addr, value)
        shift, mask = (addr & 3) * 8, ((1 << (size * 8)) - 1)
        old = self.read32(addr)
        self.write32(addr, (old & ~(mask << shift)) | ((value & mask) << shift))
