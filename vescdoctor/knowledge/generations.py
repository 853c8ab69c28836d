"""The flash map of each VESC firmware generation: which sectors hold app, config, QML, LispBM, packages, bootloader.

One STM32F405 (12 sectors, knowledge.flash) but four ways of using it (docs/knowledge.md, "Flash map per
generation", cites every line):
- 3.x (up to 4.02): app in 0, 3-6 (APP_MAX_SIZE 3x128K-8 from 3.55, ../shared/reference/vesc-stm32.md; smaller
  images before), config 1-2, update buffer 8-10, bootloader 11; sector 7 unused.
- 5.x (5.00-5.03): the same (release_5_03 flash_helper.c:35-40), and from 5.03 QML data in sector 7
  (release_5_03 flash_helper.c:41 QMLUI_BASE 7; dynamic QML writes came with bldc dfe17ac3, 2021-05-01, after the
  5.02 release commit 3f670137).
- 6.00-6.05: the app grows into sector 7 (release_6_00 flash_helper.c:44, bldc f6baa653); QML in 9, LispBM code in
  10 (release_6_00 flash_helper.c:45-46); 6.02-6.05 keep package storage (NVM) in sector 8.
- 6.06+ (6.06, 7.00): as 6.00, plus the LispBM image (constant heap) in sector 8 (release_6_06 flash_helper.c:49
  LISP_CONST_BASE 8) and package storage in sector 11 beside the bootloader (release_6_06 flash_helper.c:492-533:
  read/write at ADDR_FLASH_SECTOR_11 + address, wipe erases all of sector 11; bldc 3bcc9039).
Sectors 8-10 stay the update buffer in every generation (NEW_APP_BASE 8, NEW_APP_SECTORS 3): an update erases what
the generation keeps there.

LispBM code and QML data (SCRIPT_ROLES) are what the firmware loads at every start, so a script that crashes it is
erased with these sectors (fix step erase-lisp): each code sector starts with a header, length u32, CRC16 u16, flags
u16 (big-endian), that bldc checks before using it (release_6_00 flash_helper.c:447-465, qmlui_check; an erased
sector's length 0xFFFFFFFF fails it, so no code is found), and lispif_init runs the stored script at boot unless the
last reset was the watchdog's (release_6_00 lispBM/lispif.c:63-69; release_6_06 lispBM/lispif.c:95-100 the same).
"""
from __future__ import annotations

from dataclasses import dataclass

# Roles a sector can have (report schema SECTOR_ROLES): the generation's use, or "buffer" while an update is there.
ROLES = ("app", "config", "buffer", "bootloader", "qml", "lispbm", "free")
SCRIPT_ROLES = ("lispbm", "qml")  # what the firmware loads and runs at start besides its own code

# The LispBM image (6.06+): the last word of sector 8 is IMAGE_INITIALIZED (release_6_06
# lispBM/lispBM/src/lbm_image.c:171-175, 32-bit builds), the image grows down from there (VERSION_ENTRY 0x09 ...).
LBM_IMAGE_INITIALIZED = 0xBEEF2001
LBM_VERSION_ENTRY = 0x09
LBM_CONSTANT_HEAP_IX = 0x02


@dataclass(frozen=True)
class Generation:
    key: str  # "3.x" | "5.x" | "6.00-6.05" | "6.06+"
    first: tuple[int, int]  # first version of the generation
    app_sectors: tuple[int, ...]
    roles: tuple[str, ...]  # role of sectors 0..11 when no update is in the buffer
    package_sector: int | None  # where the package storage API (NVM) reads, writes and wipes
    notes: dict[int, str]  # what a sector holds in this generation, in words

    def role(self, number: int) -> str:
        return self.roles[number]

    def data_sectors(self) -> dict[int, str]:
        """The sectors outside app and config that hold the rider's data (scripts, QML, packages): sector -> words."""
        return {n: self.notes[n] for n in sorted(self.notes)}


_BASE = ("app", "config", "config", "app", "app", "app", "app")
GENERATIONS: tuple[Generation, ...] = (
    Generation("3.x", (3, 0), (0, 3, 4, 5, 6), _BASE + ("free", "buffer", "buffer", "buffer", "bootloader"), None,
               {}),
    Generation("5.x", (5, 0), (0, 3, 4, 5, 6), _BASE + ("qml", "buffer", "buffer", "buffer", "bootloader"), None,
               {7: "QML UI data (5.03)"}),
    Generation("6.00-6.05", (6, 0), (0, 3, 4, 5, 6, 7),
               _BASE + ("app", "buffer", "qml", "lispbm", "bootloader"), 8,
               {8: "package storage (6.02-6.05), the update buffer's first sector", 9: "QML UI data",
                10: "LispBM scripts"}),
    Generation("6.06+", (6, 6), (0, 3, 4, 5, 6, 7),
               _BASE + ("app", "lispbm", "qml", "lispbm", "bootloader"), 11,
               {8: "LispBM image (constant heap)", 9: "QML UI data", 10: "LispBM scripts",
                11: "package storage after the bootloader"}),
)
BY_KEY = {g.key: g for g in GENERATIONS}


def parse_version(text: str | None) -> tuple[int, int] | None:
    """'6.06' -> (6, 6); None for anything that is not MAJOR.MINOR."""
    if not text:
        return None
    major, sep, minor = str(text).strip().partition(".")
    if not sep or not major.isdigit() or not minor[:2].isdigit():
        return None
    return int(major), int(minor[:2])


def generation_of(version: str | tuple[int, int] | None) -> Generation | None:
    """The generation of a firmware version ("6.06", (5, 3)); None when unknown."""
    ver = parse_version(version) if isinstance(version, str) or version is None else tuple(version)
    if ver is None:
        return None
    found = None
    for gen in GENERATIONS:
        if ver >= gen.first:
            found = gen
    return found


def generation_of_app_size(app_max_size: int | None) -> Generation | None:
    """A guess from the release layout alone: 524280 bytes is 6.x (6.00-6.05 unless more is known)."""
    from .flash import APP_MAX_SIZE_6

    return BY_KEY["6.00-6.05"] if app_max_size == APP_MAX_SIZE_6 else None
