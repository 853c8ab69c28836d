"""STM32F4 FLASH interface registers (RM0090 section 3.9; reference: vesc-stm32.md, STM32F4 registers).

Shared by the pyOCD target code (register-level mass erase, option bytes) and the bench's chip model, which must
agree on addresses and bit positions but nothing else.
"""
from __future__ import annotations

FLASH_R_BASE = 0x40023C00
ACR = FLASH_R_BASE + 0x00
KEYR = FLASH_R_BASE + 0x04
OPTKEYR = FLASH_R_BASE + 0x08
SR = FLASH_R_BASE + 0x0C
CR = FLASH_R_BASE + 0x10
OPTCR = FLASH_R_BASE + 0x14

KEY1, KEY2 = 0x45670123, 0xCDEF89AB
OPTKEY1, OPTKEY2 = 0x08192A3B, 0x4C5D6E7F

# SR
SR_EOP = 1 << 0
SR_OPERR = 1 << 1
SR_WRPERR = 1 << 4
SR_PGAERR = 1 << 5
SR_PGPERR = 1 << 6
SR_PGSERR = 1 << 7
SR_BSY = 1 << 16
SR_ERRORS = SR_OPERR | SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR
SR_ERROR_NAMES = {SR_OPERR: "OPERR", SR_WRPERR: "WRPERR", SR_PGAERR: "PGAERR", SR_PGPERR: "PGPERR",
                  SR_PGSERR: "PGSERR"}

# CR
CR_PG = 1 << 0
CR_SER = 1 << 1
CR_MER = 1 << 2
CR_SNB_SHIFT, CR_SNB_MASK = 3, 0xF << 3
CR_PSIZE_SHIFT, CR_PSIZE_MASK = 8, 0x3 << 8
CR_STRT = 1 << 16
CR_LOCK = 1 << 31
PSIZE_X32 = 2 << CR_PSIZE_SHIFT

# OPTCR
OPTCR_OPTLOCK = 1 << 0
OPTCR_OPTSTRT = 1 << 1
OPTCR_BOR_SHIFT, OPTCR_BOR_MASK = 2, 0x3 << 2
OPTCR_USER_MASK = 0xE0  # WDG_SW, nRST_STOP, nRST_STDBY
OPTCR_RDP_SHIFT, OPTCR_RDP_MASK = 8, 0xFF << 8
OPTCR_NWRP_SHIFT, OPTCR_NWRP_MASK = 16, 0xFFF << 16
OPTCR_FACTORY = 0x0FFFAAED

RDP_LEVEL0, RDP_LEVEL2 = 0xAA, 0xCC
SECTOR_COUNT = 12


def sector_number(address: int) -> int:
    """The SNB of the sector starting at `address` (knowledge.flash.SECTORS, RM0090 table 5); ValueError when
    `address` starts no sector."""
    from ..knowledge.flash import SECTORS

    for sector in SECTORS:
        if sector.address == address:
            return sector.number
    raise ValueError(f"0x{address:08X} is not the start of a flash sector")


def sr_error_names(sr: int) -> list[str]:
    """The names of the error bits set in an SR value, lowest bit first."""
    return [name for bit, name in sorted(SR_ERROR_NAMES.items()) if sr & bit]


def rdp_level(rdp: int) -> int:
    """RDP byte -> protection level: 0xAA level 0, 0xCC level 2, anything else level 1."""
    return 0 if rdp == RDP_LEVEL0 else 2 if rdp == RDP_LEVEL2 else 1
