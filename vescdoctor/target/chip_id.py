"""Who the chip says it is: DBGMCU IDCODE, CPUID, flash size and the 96-bit unique ID (readable under RDP 1)."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from ..knowledge.flash import FLASH_SIZE_ADDR, UID_ADDR

DBGMCU_IDCODE = 0xE0042000
CPUID = 0xE000ED00

DEV_IDS = {0x413: "STM32F405/407/415/417", 0x419: "STM32F42x/43x", 0x441: "STM32F412", 0x411: "STM32F20x/21x",
           0x431: "STM32F411", 0x423: "STM32F401xB/C", 0x433: "STM32F401xD/E", 0x468: "STM32G431/441"}
# RM0090 Rev 11, 38.6.1 (DBGMCU_IDCODE), STM32F405xx/07xx and STM32F415xx/17xx; the F42x/43x use other names for
# the same numbers (0x1003 = Y, 0x1007 = 1 there).
REV_IDS_413 = {0x1000: "A", 0x1001: "Z", 0x1003: "1", 0x1007: "2", 0x100F: "Y"}
# The chip every VESC (and vescdoctor's flash map) is built for: STM32F405/407, 1 MiB of flash (docs/knowledge.md).
VESC_DEV_ID = 0x413
VESC_FLASH_KIB = 1024
CORTEX_PARTS = {0xC20: "Cortex-M0", 0xC60: "Cortex-M0+", 0xC23: "Cortex-M3", 0xC24: "Cortex-M4",
                0xC27: "Cortex-M7", 0xD21: "Cortex-M33"}


@dataclass(frozen=True)
class ChipIdentity:
    idcode: int  # DBGMCU_IDCODE
    cpuid: int
    flash_kib: int
    uid: bytes  # 12 bytes as they lie in memory

    @property
    def dev_id(self) -> int:
        return self.idcode & 0xFFF

    @property
    def rev_id(self) -> int:
        return self.idcode >> 16

    @property
    def family(self) -> str:
        return DEV_IDS.get(self.dev_id, f"unknown DEV_ID 0x{self.dev_id:03X}")

    @property
    def revision(self) -> str:
        return REV_IDS_413.get(self.rev_id, f"0x{self.rev_id:04X}") if self.dev_id == 0x413 else f"0x{self.rev_id:04X}"

    @property
    def core(self) -> str:
        part = (self.cpuid >> 4) & 0xFFF
        name = CORTEX_PARTS.get(part, f"part 0x{part:03X}")
        return f"{name} r{(self.cpuid >> 20) & 0xF}p{self.cpuid & 0xF}"

    @property
    def uid_hex(self) -> str:
        return self.uid.hex().upper()

    @property
    def is_f405_family(self) -> bool:
        return self.dev_id == VESC_DEV_ID

    @property
    def is_vesc_chip(self) -> bool:
        """DEV_ID 0x413 and 1024 KiB of flash: anything else (a clone, another MCU, a misread) is not written to."""
        return chip_problem(self.idcode, self.flash_kib) is None


def chip_problem(idcode: int | None, flash_kib: int | None) -> str | None:
    """Why a chip with this DBGMCU_IDCODE and flash size register is not a VESC's STM32F405/407 (None: it is)."""
    if idcode is None or flash_kib is None:
        return "its identity could not be read"
    dev_id = idcode & 0xFFF
    if dev_id != VESC_DEV_ID:
        return (f"DEV_ID 0x{dev_id:03X} ({DEV_IDS.get(dev_id, 'unknown')}), not 0x{VESC_DEV_ID:03X} "
                "(STM32F405/407)")
    if flash_kib != VESC_FLASH_KIB:
        return f"{flash_kib} KiB of flash, not {VESC_FLASH_KIB} KiB"
    return None


IDENTITY_TRIES = 4  # a noisy wire cuts one of its reads now and then (fixes/retry.py); a dead one cuts them all


def read_chip_identity(target) -> ChipIdentity:
    """Read the identity registers through any pyOCD target/memory interface (read32, read_memory_block8). A read
    cut by a transient transfer error is read again (reads change nothing on the chip), up to IDENTITY_TRIES times;
    a bus fault is raised at once."""
    from pyocd.core import exceptions

    for attempt in range(1, IDENTITY_TRIES + 1):
        try:
            return _read_identity_once(target)
        except exceptions.TransferFaultError:
            raise
        except exceptions.TransferError:
            if attempt == IDENTITY_TRIES:
                raise
    raise AssertionError("unreachable")


def _read_identity_once(target) -> ChipIdentity:
    idcode = target.read32(DBGMCU_IDCODE)
    cpuid = target.read32(CPUID)
    flash_kib = target.read16(FLASH_SIZE_ADDR)
    uid = bytes(target.read_memory_block8(UID_ADDR, 12))
    return ChipIdentity(idcode=idcode, cpuid=cpuid, flash_kib=flash_kib, uid=uid)


def require_vesc_chip(target) -> ChipIdentity:
    """The chip's identity, or WrongChip when it is not an STM32F405/407 with 1 MiB: every erase and write goes
    through this first (fixes/flashops.py, target/option_bytes.py), whatever command or plan asked for it."""
    from ..errors import WrongChip

    ident = read_chip_identity(target)
    problem = chip_problem(ident.idcode, ident.flash_kib)
    if problem:
        raise WrongChip(f"refused: the chip is not a VESC's STM32F405/407 with 1 MiB of flash ({problem}); "
                        "nothing was written")
    return ident


def uid_words(uid: bytes) -> tuple[int, int, int]:
    """The UID as the three 32-bit words the reference manual names (U_ID[31:0], [63:32], [95:64])."""
    return struct.unpack("<III", uid)
