"""The STM32F405xG flash map and the role VESC gives each sector (reference: vesc-stm32.md, Flash map)."""
from __future__ import annotations

from dataclasses import dataclass

FLASH_BASE = 0x08000000
FLASH_SIZE = 0x100000  # 1 MiB, single bank
FLASH_END = FLASH_BASE + FLASH_SIZE

SRAM_BASE, SRAM_SIZE = 0x20000000, 0x20000  # 128 KiB
CCM_BASE, CCM_SIZE = 0x10000000, 0x10000  # 64 KiB

UID_ADDR = 0x1FFF7A10  # 96-bit unique ID
FLASH_SIZE_ADDR = 0x1FFF7A22  # u16, KiB
OTP_ADDR = 0x1FFF7800
OPTION_BYTES_ADDR = 0x1FFFC000

APP_BASE = FLASH_BASE
APP_RESET_VECTOR = 0x0800C001  # every release image
CONFIG_SECTORS = (1, 2)
APP_SECTORS_OLD = (0, 3, 4, 5, 6, 7)  # FW <= 5.03 ends at 0x0805FFFF; 6.x uses sector 7 too
BUFFER_BASE = 0x08080000  # sectors 8-10: the new-app buffer an update writes
BUFFER_SECTORS = (8, 9, 10)
BOOTLOADER_BASE = 0x080E0000
BOOTLOADER_SECTOR = 11

# Release image sizes and where their CRC words sit (flag word, then CRC word).
APP_MAX_SIZE_5 = 3 * 128 * 1024 - 8  # 393208: FW 3.55 .. 5.03
APP_MAX_SIZE_6 = 4 * 128 * 1024 - 8  # 524280: FW 6.00 .. 7.00
CRC_FLAG_ADDR = {APP_MAX_SIZE_5: FLASH_BASE + APP_MAX_SIZE_5 - 8,  # 0x0805FFF0
                 APP_MAX_SIZE_6: FLASH_BASE + APP_MAX_SIZE_6 - 8}  # 0x0807FFF0
UPDATE_MAX_SIZE = 393216  # the bootloader refuses larger (uncompressed) images
COMPRESSED_SIZE_MARK = 0xCC  # top byte of the buffer header's size when heatshrink-compressed


@dataclass(frozen=True)
class Sector:
    number: int
    address: int
    size: int
    role: str  # app | config | buffer | bootloader

    @property
    def end(self) -> int:
        return self.address + self.size

    def __contains__(self, addr: int) -> bool:
        return self.address <= addr < self.end


def _build_sectors() -> tuple[Sector, ...]:
    sizes = [16 * 1024] * 4 + [64 * 1024] + [128 * 1024] * 7
    roles = ["app", "config", "config", "app", "app", "app", "app", "app",
             "buffer", "buffer", "buffer", "bootloader"]
    out, addr = [], FLASH_BASE
    for number, (size, role) in enumerate(zip(sizes, roles)):
        out.append(Sector(number, addr, size, role))
        addr += size
    return tuple(out)


SECTORS: tuple[Sector, ...] = _build_sectors()


def sector_of(addr: int) -> Sector:
    """The sector holding flash address `addr` (ValueError outside flash)."""
    for sector in SECTORS:
        if addr in sector:
            return sector
    raise ValueError(f"0x{addr:08X} is not in flash (0x{FLASH_BASE:08X}..0x{FLASH_END - 1:08X})")


def sectors_touched(start: int, length: int) -> list[Sector]:
    """Every sector that the byte range [start, start+length) touches, in order."""
    if length <= 0:
        return []
    return [s for s in SECTORS if s.address < start + length and start < s.end]


def in_ram(addr: int) -> bool:
    """True where an initial stack pointer may point: SRAM or CCM (end address included)."""
    return SRAM_BASE <= addr <= SRAM_BASE + SRAM_SIZE or CCM_BASE <= addr <= CCM_BASE + CCM_SIZE
