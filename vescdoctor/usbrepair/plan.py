"""The plan of a repair over USB: which images, which steps, what the user is told before consenting.

Steps (in this order): save-config (an update only), usb-write-bootloader, usb-update-firmware, reprobe. The
bootloader always goes first: nothing over USB can tell whether sector 11 holds one (docs/usb-repair.md), and a
firmware update jumps into it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..fixes.events import Phase
from ..fixes.plan import image_record
from ..fixes.records import ImageRecord, Notice, PlanStep, StepSequence
from ..images import LoadedImage, identify
from ..knowledge.flash import BOOTLOADER_BASE, FLASH_BASE, SECTORS
from .transfer import UpdateBuffer, UsbRepairError, update_buffer

CONFIG_LOSS = ("an update over USB wipes the motor and app configuration: the bootloader erases sectors 1-2 with "
               "the application (bldc-bootloader main.c); vescdoctor saves what the firmware gives "
               "(COMM_GET_MCCONF / COMM_GET_APPCONF) first, for the same firmware version only")


# The phases each step's events go through (execute.py emits them), first the one that starts it: what a face draws a
# bar for and how it tells which step is running (the SWD steps declare theirs in fixes/steps/).
STEP_PHASES: dict[str, tuple[Phase, ...]] = {
    "save-config": (Phase.BACKUP,), "usb-write-bootloader": (Phase.PROGRAM,),
    "usb-update-firmware": (Phase.PROGRAM, Phase.RESET), "reprobe": (Phase.REPROBE,)}


@dataclass
class UsbPlan(StepSequence):
    verdict: str
    steps: list[PlanStep]
    bootloader: bytes = b""  # always: an update over USB jumps into it
    firmware: bytes | None = None
    buffer: UpdateBuffer | None = None
    fw_version_before: str | None = None
    fw_version_after: str | None = None  # what the firmware image says it is
    board_hw: str | None = None
    board_uid: str | None = None
    images: list[ImageRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    via: str = "usb"

    def phases_of(self, step: str) -> tuple[Phase, ...]:
        return STEP_PHASES[step]

    def describe(self, word: Callable[[Notice], str] = str) -> list[str]:
        lines = [f"Plan for {self.verdict}, over USB (the VESC protocol; no debug probe):"]
        for i, step in enumerate(self.steps, 1):
            mark = " [destructive]" if step.destructive else ""
            lines.append(f"  {i}. {step.title}{mark}" + (f": {step.detail}" if step.detail else ""))
        if self.firmware is not None:
            lines.append("What an update over USB loses: " + CONFIG_LOSS)
        lines.append("Over USB nothing can be read back: every chunk's reply is checked, and the firmware's answer "
                     "afterwards is the proof.")
        lines += [f"Warning: {w}" for w in self.warnings]
        return lines


def _check_bootloader(image: LoadedImage, hw: str | None) -> Any:
    info = identify(image.data, image.base, image.ranges)
    where = str(image.path)
    if info.kind != "bootloader":
        raise InputError("refused: not a bootloader (not linked for 0x080E0000); a VESC bootloader goes into "
                         "sector 11", where)
    if image.base is not None and image.base != BOOTLOADER_BASE:
        raise InputError(f"refused: the file places the bootloader at 0x{image.base:08X}; it belongs at "
                         f"0x{BOOTLOADER_BASE:08X} (sector 11)", where)
    if len(image.data) > SECTORS[11].size:
        raise InputError(f"refused: {len(image.data)} bytes do not fit sector 11", where)
    return info


def _check_firmware(image: LoadedImage, hw: str | None) -> Any:
    info = identify(image.data, image.base, image.ranges)
    where = str(image.path)
    if info.kind != "firmware":
        raise InputError("refused: not a VESC firmware image", where)
    if image.base is not None and image.base != FLASH_BASE:
        raise InputError(f"refused: the file places the firmware at 0x{image.base:08X}; an update over USB "
                         f"writes an image for 0x{FLASH_BASE:08X}", where)
    if hw and info.hw and info.hw != hw:
        raise InputError(f"refused: this firmware is for HW {info.hw}; the running firmware says the board is "
                         f"HW {hw}", where)
    return info


def make_usb_plan(verdict: str, facts: dict, *, bootloader: LoadedImage | None,
                  firmware: LoadedImage | None) -> UsbPlan:
    """The plan; InputError (one line) for every refusal, before anything is sent."""
    from ..fixes.plans_file import load_plans  # its USB_STEPS are the steps made here

    if verdict not in load_plans().usb:
        raise InputError(f"no repair over USB for the verdict '{verdict}': follow the next steps of the diagnosis, "
                         "or repair through SWD (--via swd)")
    hw = facts.get("vesc.hw_name")
    plan = UsbPlan(verdict, [], fw_version_before=facts.get("vesc.fw_version"), board_hw=hw,
                   board_uid=facts.get("vesc.uuid"))
    if bootloader is None:
        what = "an update over USB jumps into it, so it goes first" if firmware is not None else \
            "sector 11 cannot be read over USB, so vescdoctor installs a known one"
        raise InputError(f"this repair over USB needs a bootloader image ({what}): pass --bootloader FILE "
                         f"(the one for HW {hw or 'your hardware'}, e.g. VESC Tool's res/bootloaders); the "
                         "catalog's was not at hand (`vescdoctor firmware get --bootloader` fetches it)")
    info = _check_bootloader(bootloader, hw)
    if info.compression is False and firmware is not None:
        plan.warnings.append("the bootloader has no compression support: firmware over 393208 bytes (6.x) will "
                             "not be copied")
    plan.bootloader = bytes(bootloader.data)
    plan.images.append(image_record("bootloader", bootloader, info))
    if firmware is not None:
        plan.steps.append(PlanStep("save-config", "Save the configuration the firmware gives over USB", False,
                                   "COMM_GET_MCCONF and COMM_GET_APPCONF as raw bytes, with the firmware version"))
    plan.steps.append(PlanStep("usb-write-bootloader", "Install the bootloader over USB", True,
                               f"{info.name or 'bootloader'}, {len(bootloader.data)} bytes into sector 11 "
                               "(COMM_ERASE_BOOTLOADER, COMM_WRITE_NEW_APP_DATA at offset 0x60000)"))
    if firmware is not None:
        fw_info = _check_firmware(firmware, hw)
        try:
            plan.buffer = update_buffer(firmware.data)
        except UsbRepairError as exc:
            raise InputError(f"refused: {exc}", str(firmware.path)) from None
        plan.firmware = bytes(firmware.data)
        plan.fw_version_after = fw_info.version
        plan.images.append(image_record("firmware", firmware, fw_info))
        packed = "heatshrink-compressed to " if plan.buffer.compressed else ""
        plan.steps.append(PlanStep("usb-update-firmware", "Update the firmware through the buffer and the bootloader",
                                   True, f"FW {fw_info.version or '?'} for HW {fw_info.hw or '?'}, {packed}"
                                   f"{plan.buffer.payload_size} bytes into sectors 8-10, then the bootloader "
                                   "copies it (the configuration is wiped)"))
    plan.steps.append(PlanStep("reprobe", "Ask the firmware again", False))
    return plan
