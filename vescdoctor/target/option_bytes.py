"""STM32F4 option bytes (RDP, nWRP, BOR) read and written at register level through FLASH_OPTCR.

pyOCD has no STM32F4 option-byte API (pyOCD issue 1689). Works through anything with read32/write32 (a pyOCD
target or core). Writing follows RM0090 3.7.2: OPTKEYR keys, write OPTCR, set OPTSTRT, wait for BSY, check SR.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyocd.core import exceptions

from . import flash_regs as F
from .stm32f405 import wait_not_busy

# Lowering RDP from level 1 mass-erases 1 MiB first (8 s typical, 16 s max).
OPTION_WRITE_TIMEOUT_S = 40.0


class OptionBytesError(exceptions.FlashFailure):
    """Option-byte programming failed; `sr` holds FLASH_SR and `errors` the names of its error bits."""

    def __init__(self, message: str, sr: int = 0):
        super().__init__(message, result_code=sr)
        self.sr = sr
        self.errors = F.sr_error_names(sr)


@dataclass(frozen=True)
class OptionBytesState:
    optcr: int  # raw FLASH_OPTCR
    rdp: int  # RDP byte
    rdp_level: int  # 0, 1 or 2
    wrp_sectors: list[int]  # write-protected sector numbers (nWRP bit 0)
    bor_level: int  # BOR_LEV field (3 = off)

    @classmethod
    def from_optcr(cls, optcr: int) -> OptionBytesState:
        rdp = (optcr & F.OPTCR_RDP_MASK) >> F.OPTCR_RDP_SHIFT
        nwrp = (optcr & F.OPTCR_NWRP_MASK) >> F.OPTCR_NWRP_SHIFT
        return cls(optcr=optcr, rdp=rdp, rdp_level=F.rdp_level(rdp),
                   wrp_sectors=[s for s in range(F.SECTOR_COUNT) if not nwrp & (1 << s)],
                   bor_level=(optcr & F.OPTCR_BOR_MASK) >> F.OPTCR_BOR_SHIFT)


def read_option_bytes(target) -> OptionBytesState:
    """The option bytes as FLASH_OPTCR shows them (readable under every RDP level the debugger can reach)."""
    return OptionBytesState.from_optcr(target.read32(F.OPTCR))


def write_option_bytes(target, *, rdp: int | None = None, wrp_sectors: list[int] | None = None,
                       bor: int | None = None, allow_level2: bool = False) -> OptionBytesState:
    """Program the fields given (others keep their value) and return the state read back.

    rdp 0xAA from level 1 mass-erases the flash and takes effect at the next reset. rdp 0xCC (level 2) locks the
    chip for good and is refused unless allow_level2. Raises OptionBytesError naming the SR error bits; WrongChip
    (nothing written) on a chip that is not a VESC's STM32F405/407 with 1 MiB.
    """
    from .chip_id import require_vesc_chip

    require_vesc_chip(target)
    if rdp is not None:
        if not 0 <= rdp <= 0xFF:
            raise ValueError(f"RDP byte 0x{rdp:X} is not a byte")
        if rdp == F.RDP_LEVEL2 and not allow_level2:
            raise ValueError("RDP 0xCC (level 2) disables the debug port forever; pass allow_level2=True")
    if wrp_sectors is not None and any(not 0 <= s < F.SECTOR_COUNT for s in wrp_sectors):
        raise ValueError(f"write-protected sectors must be 0..{F.SECTOR_COUNT - 1}, got {wrp_sectors}")
    if bor is not None and not 0 <= bor <= 3:
        raise ValueError(f"BOR level must be 0..3, got {bor}")

    wait_not_busy(target, OPTION_WRITE_TIMEOUT_S)
    optcr = target.read32(F.OPTCR)
    if optcr & F.OPTCR_OPTLOCK:
        target.write32(F.OPTKEYR, F.OPTKEY1)
        target.write32(F.OPTKEYR, F.OPTKEY2)
        optcr = target.read32(F.OPTCR)
        if optcr & F.OPTCR_OPTLOCK:
            raise OptionBytesError("FLASH_OPTCR stayed locked after the OPTKEYR sequence")

    new = optcr & ~(F.OPTCR_OPTLOCK | F.OPTCR_OPTSTRT)
    if rdp is not None:
        new = (new & ~F.OPTCR_RDP_MASK) | (rdp << F.OPTCR_RDP_SHIFT)
    if wrp_sectors is not None:
        nwrp = 0xFFF & ~sum(1 << s for s in set(wrp_sectors))
        new = (new & ~F.OPTCR_NWRP_MASK) | (nwrp << F.OPTCR_NWRP_SHIFT)
    if bor is not None:
        new = (new & ~F.OPTCR_BOR_MASK) | (bor << F.OPTCR_BOR_SHIFT)

    target.write32(F.SR, F.SR_ERRORS | F.SR_EOP)  # clear stale status (write 1 to clear)
    target.write32(F.OPTCR, new)
    target.write32(F.OPTCR, new | F.OPTCR_OPTSTRT)
    sr = wait_not_busy(target, OPTION_WRITE_TIMEOUT_S)
    target.write32(F.OPTCR, target.read32(F.OPTCR) | F.OPTCR_OPTLOCK)
    if sr & F.SR_ERRORS:
        raise OptionBytesError(f"option byte programming failed: FLASH_SR=0x{sr:08X} "
                               f"({', '.join(F.sr_error_names(sr))})", sr)
    return read_option_bytes(target)
