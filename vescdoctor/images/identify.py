"""Say what an image is: firmware, bootloader or unknown, for which HW, where it goes, and what writing it would do.

Everything here reads bytes only; `problems` are sentences for a user, each saying what is wrong and what to do.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any

from ..knowledge.checksums import crc16_xmodem, stm32_crc32
from ..knowledge.flash import (
    APP_MAX_SIZE_6,
    BOOTLOADER_BASE,
    BUFFER_SECTORS,
    COMPRESSED_SIZE_MARK,
    CRC_FLAG_ADDR,
    FLASH_BASE,
    FLASH_END,
    SECTORS,
    UPDATE_MAX_SIZE,
    in_ram,
)
from ..knowledge.images_table import HW_NAMES, KNOWN_FIRMWARE
from ..knowledge.other_images import BMS_HW_NAMES, OTHER_CHIP_IMAGES, other_bootloader_place, third_party
from ..knowledge.synthetic import parse_marker
from .bootloader import identify_bootloader
from .completeness import completeness_problems
from .hwname import MIN_SCORE, hw_name_candidates
from .version import version_from_code

CONFIG_START, CONFIG_END = SECTORS[1].address, SECTORS[2].end  # 0x08004000..0x0800C000
BOOTLOADER_SECTOR_SIZE = SECTORS[11].size
ERASED_WORD = 0xFFFFFFFF


@dataclass
class ImageInfo:
    kind: str  # "firmware" | "bootloader" | "unknown"
    hw: str | None
    version: str | None
    base: int | None  # where the image must be written
    size: int
    sha256: str
    problems: list[str] = field(default_factory=list)
    # bootloader
    name: str | None = None
    date: str | None = None
    compression: bool | None = None
    # firmware
    crc_words: tuple[int, int] | None = None  # (flag, crc) in release layouts (393208 / 524280 bytes)
    app_max_size: int | None = None
    # how it was known, and what is worth saying but is not a problem
    config_fill: int | None = None  # 0x00 / 0xFF: the uniform fill over sectors 1-2 a whole-file write would put there
    hw_evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    other_device: str | None = None  # an image for another VESC chip (BMS, custom module): what it is
    release: Any = None  # catalog.releases.ReleaseMatch: the official image this is (by sha256), else None

    def to_json(self) -> dict:
        """The `inspect --json` document of cli.md, plus the fields a script may want."""
        return {"kind": self.kind, "hw": self.hw, "version": self.version, "base": self.base, "size": self.size,
                "sha256": self.sha256, "problems": list(self.problems),
                "bootloader": ({"name": self.name, "date": self.date, "compression": self.compression}
                               if self.kind == "bootloader" else None),
                "crc_words": list(self.crc_words) if self.crc_words else None,
                "app_max_size": self.app_max_size,
                "config_fill": self.config_fill, "hw_evidence": list(self.hw_evidence), "notes": list(self.notes),
                "synthetic": self.synthetic, "release": _release_json(self.release),
                "other_device": self.other_device}


def _release_json(match) -> dict | None:
    """cli.md: `"release": {"version", "hw_dir", "file"}` for an official image, else null (plus how it matched)."""
    if match is None:
        return None
    r = match.release
    return {"version": r.version, "hw_dir": r.hw_dir, "file": r.file, "kind": r.kind, "url": r.url,
            "byte_identical": match.exact, "reset": list(match.reset), "description": match.describe()}


def identify(data: bytes, base: int | None = None, ranges=None) -> ImageInfo:
    """What `data` is. `base` is where the file puts it (.hex/.elf), None for a .bin; `ranges` the (start, end)
    pieces a .hex/.elf really holds (gaps between them are not written)."""
    data = bytes(data)
    info = ImageInfo("unknown", None, None, None, len(data), hashlib.sha256(data).hexdigest())
    update = _update_payload(data)
    if update is not None:
        return _update_image(info, data, update)
    if len(data) < 8:
        info.problems.append("too small to hold a vector table: not a firmware or bootloader image")
        return info
    marker = parse_marker(bytes(data))
    known_fw = KNOWN_FIRMWARE.get(info.sha256)
    boot = identify_bootloader(data)
    sp, reset = struct.unpack_from("<II", data)
    linked_for = _linked_region(sp, reset)

    if boot or linked_for == BOOTLOADER_BASE or (marker and marker.get("kind") == "bootloader"):
        _bootloader(info, data, base, boot)
    elif not _other_chip(info, data, base, reset):
        _firmware_or_unknown(info, data, base, ranges, sp, reset, linked_for, known_fw, marker)
    if marker:
        info.synthetic = True
        info.version = info.version or _str_or_none(marker.get("version"))
        if info.kind == "firmware" and info.hw is None:
            info.hw = _str_or_none(marker.get("hw"))
    _name_release(info, data)
    other = third_party(info.version, info.hw) if info.kind == "firmware" else None
    if other:
        info.notes.append(other.note())
    return info


def _name_release(info: ImageInfo, data: bytes) -> None:
    """The official release the image is, from the catalog by sha256 (docs/catalog.md); its version is then the
    release's. An image that is not one is said to be so."""
    if info.kind not in ("firmware", "bootloader"):
        return
    from ..catalog.releases import match_release

    match = match_release(data)
    if match is None or match.release.kind != info.kind:
        return  # `inspect` says "not an official image"; release stays None
    info.release = match
    if info.kind == "firmware":
        info.version = match.release.version


def _other_chip(info: ImageInfo, data: bytes, base: int | None, reset: int) -> bool:
    """An image for another VESC chip (knowledge/other_images.py): named, kind "unknown", never written to a VESC."""
    what = OTHER_CHIP_IMAGES.get(info.sha256) or other_bootloader_place(reset, len(data))
    if what is None and FLASH_BASE <= reset & ~1 < CONFIG_START and len(data) > CONFIG_START - FLASH_BASE:
        # code right after the vector table, through where a VESC keeps its configuration: not a VESC's firmware
        best = hw_name_candidates(data, base if base is not None else FLASH_BASE)
        if best and best[0].score >= MIN_SCORE:
            hw = best[0].name
            what = (f"VESC BMS firmware for HW {hw}" if hw in BMS_HW_NAMES else
                    f"firmware of another VESC device (HW {hw}) whose code runs through 0x08004000..0x0800BFFF, "
                    "where a VESC motor controller keeps its configuration")
    if what is None:
        return False
    info.other_device = what
    info.problems.append(f"this is {what}: an image for another chip, not for a VESC motor controller's STM32F405; "
                         "never write it to a VESC")
    return True


def _linked_region(sp: int, reset: int) -> int | None:
    """Where a vector table (SP, reset) says its image runs: the app area, the bootloader sector, or nowhere."""
    if not in_ram(sp) or not reset & 1:
        return None
    pc = reset & ~1
    if BOOTLOADER_BASE <= pc < FLASH_END:
        return BOOTLOADER_BASE
    if FLASH_BASE <= pc < BOOTLOADER_BASE:
        return FLASH_BASE
    return None


def _bootloader(info: ImageInfo, data: bytes, base: int | None, boot) -> None:
    info.kind = "bootloader"
    info.base = BOOTLOADER_BASE
    if boot:
        info.name, info.date, info.compression = boot.name, boot.date, boot.compression
        info.synthetic = boot.synthetic
        tail = data[boot.size:]
        if tail.strip(b"\xff"):
            info.notes.append(f"bytes after the {boot.size}-byte image are not erased (0xFF)")
    else:
        info.name = "unknown bootloader"
        info.notes.append("linked for 0x080E0000 (sector 11) but not a bootloader VESC Tool has shipped")
    if boot is None or boot.compression is None:
        info.problems.append("compression support unknown: firmware >= 6.00 needs a bootloader that takes "
                             "compressed updates; prefer a known one (VESC Tool res/bootloaders, 2022 or later)")
    elif not boot.compression:
        info.problems.append("no compression support (bootloader before 2022-01-18): firmware >= 6.00 updates "
                             "from VESC Tool will not stick; write a 2022 or later bootloader instead")
    if base is not None and base != BOOTLOADER_BASE:
        info.problems.append(f"the file places it at 0x{base:08X} but it is linked for 0x{BOOTLOADER_BASE:08X} "
                             f"(sector 11): write it at 0x{BOOTLOADER_BASE:08X}")
    if len(data) > BOOTLOADER_SECTOR_SIZE:
        info.problems.append(f"{len(data)} bytes do not fit sector 11 ({BOOTLOADER_SECTOR_SIZE} bytes)")
    _check_vectors(info, data, BOOTLOADER_BASE)


def _firmware_or_unknown(info, data, base, ranges, sp, reset, linked_for, known_fw, marker) -> None:
    load_base = base if base is not None else FLASH_BASE
    candidates = hw_name_candidates(data, load_base)
    best = candidates[0] if candidates and candidates[0].score >= MIN_SCORE else None
    is_vesc = bool(known_fw or best or (marker and marker.get("kind") == "firmware"))
    if not is_vesc:
        if linked_for == FLASH_BASE:
            info.problems.extend(completeness_problems(data, load_base))  # a cut file may have lost its HW name
            info.problems.append("a valid vector table for 0x08000000 but no VESC HW name: not VESC firmware "
                                 "(or a build this tool cannot read); VESC Tool would not accept it either")
        else:
            info.problems.append("no vector table and no VESC HW name: not a firmware or bootloader image")
        return

    info.kind = "firmware"
    info.base = FLASH_BASE
    if known_fw:
        info.version, info.hw = known_fw.version, known_fw.hw
        info.notes.append(f"a release file: {known_fw.source}")
    if best:
        info.hw = info.hw or best.name
        info.hw_evidence = list(best.evidence)
    if info.version is None and not (marker and marker.get("version")):
        info.version = version_from_code(data, load_base)
        if info.version:
            info.notes.append(f"version {info.version} read from the code (terminal hw_status printf constants)")
    if info.hw and info.hw not in HW_NAMES:
        info.notes.append(f'HW name "{info.hw}" is not in the list of known HW names (newer or custom hardware)')

    if base is not None and base != FLASH_BASE:
        info.problems.append(f"the file places it at 0x{base:08X}, but VESC firmware starts at 0x{FLASH_BASE:08X} "
                             "with its vector table: it would not boot there")
    if linked_for is None:
        if base is None:
            info.problems.append("the .bin does not start with a vector table (SP in RAM, odd reset vector in "
                                 "flash): a cut or offset file; use the release .bin that starts at 0x08000000")
        else:
            info.problems.append("vector table invalid (initial SP not in RAM or reset vector not in flash): "
                                 "the board would not start this image")
    else:
        _check_vectors(info, data, FLASH_BASE)

    end = FLASH_BASE + len(data)
    if len(data) == FLASH_END - FLASH_BASE:
        info.problems.append("a whole-flash dump (1 MiB, bootloader and config included), not a firmware image: "
                             "put it back with `vescdoctor restore`, or flash a release firmware instead")
    elif end > BOOTLOADER_BASE:
        info.problems.append(f"overlaps sector 11 (ends at 0x{end - 1:08X}): writing it would destroy the "
                             "bootloader; an image this large is broken or not a single firmware")
    elif len(data) > APP_MAX_SIZE_6:
        info.problems.append(f"{len(data)} bytes: too big for the app area ({APP_MAX_SIZE_6} bytes, "
                             "0x08000000..0x0807FFF7): it would run into the update buffer (sectors 8-10)")
    elif len(data) > UPDATE_MAX_SIZE:
        info.notes.append(f"larger than {UPDATE_MAX_SIZE} bytes: an update through VESC Tool needs a bootloader "
                          "with compression support")

    _check_config_fill(info, data, ranges)
    _check_crc_words(info, data)
    info.problems.extend(completeness_problems(data, load_base))


def _check_vectors(info: ImageInfo, data: bytes, link_base: int) -> None:
    """The reset vector must land on bytes the image holds, and not on erased flash."""
    pc = (struct.unpack_from("<I", data, 4)[0] & ~1) - link_base
    if not 0 <= pc < len(data) - 1:
        info.problems.append(f"vector table invalid: the reset vector points outside the image "
                             f"(0x{link_base + pc:08X})")
    elif data[pc:pc + 2] == b"\xff\xff":
        info.problems.append(f"vector table invalid: the reset vector points at erased bytes (0x{link_base + pc:08X})")


def _check_config_fill(info: ImageInfo, data: bytes, ranges) -> None:
    """A whole-file write over sectors 1-2 replaces the configuration with what the file holds there."""
    if len(data) <= CONFIG_START - FLASH_BASE:
        return
    if ranges is not None and not any(s < CONFIG_END and CONFIG_START < e for s, e in ranges):
        return  # a .hex/.elf with a hole there: nothing would be written to sectors 1-2
    window = data[CONFIG_START - FLASH_BASE: CONFIG_END - FLASH_BASE]
    fill = window[0]
    if window.count(fill) == len(window) and fill in (0x00, 0xFF):
        info.config_fill = fill
        what = "erase the configuration" if fill == 0xFF else "replace the configuration with zeros"
        info.problems.append(f"gap fill 0x{fill:02X} over the config sectors 1-2 (0x08004000..0x0800BFFF): "
                             f"writing the whole file would {what}; write with sector erase that skips "
                             "sectors 1-2 (vescdoctor fix does; keep a backup)")
    else:
        info.notes.append("holds data in the config sectors 1-2: a flash readback or backup, not a release image; "
                          "writing it replaces the board's configuration")


def _check_crc_words(info: ImageInfo, data: bytes) -> None:
    """Release layouts keep a flag and a CRC word at the end of the app area (vesc-stm32.md, App CRC words)."""
    if len(data) not in CRC_FLAG_ADDR:
        return
    info.app_max_size = len(data)
    at = CRC_FLAG_ADDR[len(data)] - FLASH_BASE
    flag, crc = struct.unpack_from("<II", data, at)
    info.crc_words = (flag, crc)
    if flag == ERASED_WORD and crc == ERASED_WORD:
        return  # a release image: the firmware computes the CRC at its first boot
    if flag == 0:
        covered = data[:0x4000] + data[0xC000:at + 8]
        if stm32_crc32(covered) == 0:
            info.notes.append("CRC words already set (read back from a board after its first boot); they match")
        else:
            info.problems.append(f"CRC words set (flag 0, CRC 0x{crc:08X}) but the CRC does not match the image: "
                                 "the board would blink red fast and not start; use a release image "
                                 "(CRC words 0xFFFFFFFF)")
    else:
        info.problems.append(f"CRC flag word 0x{flag:08X} is neither 0xFFFFFFFF (release) nor 0 (checked): the "
                             "board would fail its flash check; use a release image")


def _update_payload(data: bytes) -> tuple[int, bool] | None:
    """(payload size, compressed) when `data` is VESC Tool's new-app buffer: u32 size, u16 CRC16 (BE), image.

    Trailing 0xFF is allowed (a readback of sectors 8-10); the CRC must match, so a firmware image never passes.
    """
    if len(data) < 6 + 8:
        return None
    size_word, crc = struct.unpack_from(">IH", data)
    compressed = size_word >> 24 == COMPRESSED_SIZE_MARK
    size = size_word & 0xFFFFFF if compressed else size_word
    if not 8 <= size <= len(data) - 6 or size_word >> 24 not in (0, COMPRESSED_SIZE_MARK):
        return None
    if data[6 + size:].strip(b"\xff") or crc16_xmodem(data[6:6 + size]) != crc:
        return None
    return size, compressed


def _update_image(info: ImageInfo, data: bytes, update: tuple[int, bool]) -> ImageInfo:
    size, compressed = update
    buffer_base = SECTORS[BUFFER_SECTORS[0]].address
    if compressed:
        info.problems.append(f"a compressed update (VESC Tool's new-app buffer: 6-byte header, {size} bytes "
                             "heatshrink data, CRC good): not an image to write to the app area; the bootloader "
                             "unpacks it (one with compression support)")
        info.base = buffer_base
        return info
    inner = identify(data[6:6 + size])
    inner.size, inner.sha256, inner.base = info.size, info.sha256, buffer_base  # as a file, it goes to the buffer
    inner.problems.insert(0, f"an update-buffer image (VESC Tool's 6-byte header, {size} bytes, CRC good) that "
                             f"belongs at 0x{buffer_base:08X}: to write the firmware itself, drop the first 6 bytes")
    return inner


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)
