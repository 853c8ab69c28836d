"""The image files a fix writes, checked before the chip is touched: where they go, that they fit, that they are
what they claim, and that firmware matches the board's hardware. Every refusal is a typed InputError (errors.py)."""
from __future__ import annotations

from ..errors import HardwareUnconfirmed, HardwareUnknown, InputError, WrongImageKind
from ..images import ImageInfo, LoadedImage, identify
from ..knowledge.flash import APP_MAX_SIZE_6, BOOTLOADER_BASE, FLASH_BASE, SECTORS
from .board_hw import BoardHw

BOOTLOADER_SIZE = SECTORS[11].size


def placement_problem(image: LoadedImage) -> str | None:
    """Why the places a .hex/.elf puts its bytes cannot be flash writes at all: RAM, or outside the 1 MiB flash."""
    base = image.base if image.base is not None else FLASH_BASE
    for start, stop in image.ranges or [(base, base + len(image.data))]:
        if 0x20000000 <= start < 0x20030000 or 0x10000000 <= start < 0x10010000:
            return (f"refused: the file places data at 0x{start:08X}, in RAM, not flash: it is a program to load "
                    "into RAM with a debugger (or a build's RAM section), not an image to write to the chip")
        if not FLASH_BASE <= start or stop > FLASH_BASE + 0x100000:
            return (f"refused: the file places data at 0x{start:08X}..0x{stop - 1:08X}, outside the flash "
                    f"(0x{FLASH_BASE:08X}..0x{FLASH_BASE + 0x100000 - 1:08X}): not an image for this chip")
    return None


def _check_placement(image: LoadedImage, where: str) -> None:
    placement = placement_problem(image)
    if placement:
        raise InputError(placement, where)


def _check_firmware_layout(image: LoadedImage, where: str) -> None:
    base = image.base if image.base is not None else FLASH_BASE
    end = base + len(image.data)
    _check_placement(image, where)
    if base == BOOTLOADER_BASE or identify(image.data, image.base, image.ranges).kind == "bootloader":
        raise WrongImageKind("firmware", "bootloader", where)  # linked for sector 11: before the overlap refusal
    if end > BOOTLOADER_BASE:
        raise InputError(f"refused: the image ends at 0x{end - 1:08X} and overlaps sector 11 (the bootloader at "
                         f"0x{BOOTLOADER_BASE:08X}); a firmware image is at most {APP_MAX_SIZE_6} bytes", where)
    if base != FLASH_BASE:
        raise InputError(f"refused: the file places its data at 0x{base:08X}; firmware goes at 0x{FLASH_BASE:08X}",
                         where)
    if len(image.data) > APP_MAX_SIZE_6:
        raise InputError(f"refused: {len(image.data)} bytes do not fit the app area ({APP_MAX_SIZE_6} bytes, "
                         f"0x08000000..0x0807FFF7); it would run into the update buffer", where)


def check_firmware(image: LoadedImage, strong: BoardHw | None, hint: BoardHw | None) -> ImageInfo:
    """The firmware's identity, once it is proven to fit the app area and to be built for the board's HW."""
    where = str(image.path)
    _check_firmware_layout(image, where)
    info = identify(image.data, image.base, image.ranges)
    if info.kind == "bootloader":
        raise WrongImageKind("firmware", "bootloader", where)
    if info.kind != "firmware":
        reason = info.problems[0] if info.problems else "no VESC firmware identity"
        raise InputError(f"refused: not a VESC firmware image: {reason}", where)
    fatal = [p for p in info.problems if p.startswith(("vector table invalid", "the .bin does not start",
                                                       "incomplete:"))]
    if fatal:
        raise InputError(f"refused: {fatal[0]}", where)
    if info.hw is None:
        raise InputError("refused: no HW name found in the firmware, so it cannot be checked against the board",
                         where)
    if strong is not None:
        if info.hw != strong.name:
            raise InputError(f"refused: the firmware is built for HW {info.hw} but the board is HW {strong.name} "
                             f"(from {strong.source}); wrong-hardware firmware can destroy the gate drivers", where)
        return info
    if hint is None:
        raise HardwareUnknown(info.hw, where)
    # A hint tells what someone tried to install, not what the board is: the user confirms the board's HW.
    raise HardwareUnconfirmed(info.hw, hint.name, hint.source, where)


def check_bootloader_hardware(info: ImageInfo, board_hw: str | None, where: str, warnings: list[str]) -> None:
    """A known bootloader built for other hardware drives other LED pins and, on some boards, other clocks: refuse
    it where the table says so for certain, warn where VESC Tool's file name is abbreviated."""
    from ..knowledge.images_table import bootloader_hardware

    if not board_hw or board_hw == "unsure" or not info.name or info.synthetic:
        return
    serves = bootloader_hardware(info.name)
    if serves is None or board_hw in serves[0]:
        return
    names, complete = serves
    if complete:
        raise InputError(f"refused: this bootloader ({info.name}) is for HW {', '.join(names)}, not this board's "
                         f"HW {board_hw}; use the one for your hardware or generic.bin", where)
    warnings.append(f"the bootloader {info.name} lists HW {', '.join(names)}, ... - check that it is for HW {board_hw}")


def check_bootloader(image: LoadedImage, verdict: str) -> ImageInfo:
    where = str(image.path)
    _check_placement(image, where)
    info = identify(image.data, image.base, image.ranges)
    if info.kind != "bootloader":
        what = "a firmware image" if info.kind == "firmware" else "not an image VESC can boot"
        raise InputError(f"refused: not a bootloader ({what}, not linked for 0x{BOOTLOADER_BASE:08X}); "
                         "a VESC bootloader goes into sector 11", where)
    if image.base is not None and image.base != BOOTLOADER_BASE:
        raise InputError(f"refused: the file places the bootloader at 0x{image.base:08X}; it belongs at "
                         f"0x{BOOTLOADER_BASE:08X} (sector 11)", where)
    if len(image.data) > BOOTLOADER_SIZE:
        raise InputError(f"refused: {len(image.data)} bytes do not fit sector 11 ({BOOTLOADER_SIZE} bytes)", where)
    if verdict == "bootloader-too-old" and info.compression is not True:
        raise InputError("refused: this bootloader has no (known) compression support, so it would not fix "
                         "bootloader-too-old; use a 2022 or later bootloader", where)
    return info
