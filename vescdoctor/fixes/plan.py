"""The fix plan of a diagnosis: which steps, which sectors erased, which bytes written, what the backup holds.

`make_plan` reads only the diagnosis and the image files: every refusal (a typed InputError, errors.py) comes before
any chip access. The plan derives from what the chip holds now (the diagnosis), so a second `fix` after an
interruption makes the plan that finishes the job. The records it builds are in records.py.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ImageMissing, InputError
from ..flash_analysis import script_sectors
from ..images import ImageInfo, LoadedImage
from ..knowledge.flash import BOOTLOADER_BASE, FLASH_BASE, SECTORS, sectors_touched
from .board_hw import BoardHw, board_hw_sources
from .image_checks import check_bootloader, check_bootloader_hardware, check_firmware
from .plan_safety import steps_problem
from .plans_file import PlanBook, load_plans
from .records import ImageRecord, Notice, Plan, PlanStep, Segment
from .steps import STEPS

if TYPE_CHECKING:
    from ..diagnosis import Diagnosis

__all__ = ["Plan", "PlanStep", "Segment", "ImageRecord", "Notice", "make_plan", "board_hw_sources"]

CONFIG_START, CONFIG_END = SECTORS[1].address, SECTORS[2].end  # 0x08004000..0x0800C000
IMAGES = ("bootloader", "firmware")


@dataclass
class _Draft:
    """The plan while make_plan works it out."""

    verdict: str
    steps: list[str]
    given: dict[str, LoadedImage | None]
    keep_config: bool
    node: str | None = None  # the verdict node the diagnosis ended on (a plan's `causes:` key)
    warnings: list[Notice] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    images: list[ImageRecord] = field(default_factory=list)

    def warn(self, text: str, **kw: Any) -> None:
        self.warnings.append(Notice(text, **kw))


def make_plan(diagnosis: Diagnosis, *, bootloader: LoadedImage | None, firmware: LoadedImage | None,
              keep_config: bool = True, board_hw: str | None = None, book: PlanBook | None = None,
              backup_dir: Path | None = None, erase_all: bool = False) -> Plan:
    """The plan for `diagnosis`'s verdict and findings. A typed InputError (one line) for every refusal.
    erase_all (`fix --erase-all`): after the backup the whole chip is mass-erased, both images written again."""
    book = book or load_plans()
    verdict = diagnosis.verdict
    facts = diagnosis.result.facts or {}
    findings = [f for f in (diagnosis.result.findings or []) if f != verdict]
    if verdict == "healthy":
        return Plan(verdict, backup_note="no backup needed: nothing is changed", findings=findings)
    if verdict not in book.verdicts:
        raise InputError(f"no fix vescdoctor can apply for the verdict '{verdict}': follow the next steps of the "
                         "diagnosis")
    node = getattr(getattr(diagnosis.result, "verdict", None), "node", None)  # None: a replayed report without one
    draft = _Draft(verdict, [], {"bootloader": bootloader, "firmware": firmware}, keep_config, node)
    _choose_steps(draft, book, findings, erase_all)
    strong, hint = board_hw_sources(diagnosis, board_hw, backup_dir)
    _check_images(draft, strong, hint)
    plan = Plan(verdict, warnings=draft.warnings, findings=findings, segments=draft.segments,
                board_hw=strong.name if strong else None, board_uid=facts.get("swd.uid"), keep_config=keep_config,
                board_hw_source=strong.kind if strong else None, images=draft.images,
                wrp_sectors=list(facts.get("swd.wrp_sectors") or []), rider_data=rider_data(facts),
                script_sectors=script_sectors(facts) if "erase-lisp" in draft.steps else [])
    _lay_out_flash(plan, draft, facts)
    full = "mass-erase" in draft.steps
    plan.notes = erase_all_notes(keep_config) if full else FULL_ERASE_NOT_NEEDED if plan.segments else []
    order = {name: i for i, name in enumerate(book.order)}
    draft.steps.sort(key=lambda s: order[s])
    unsafe = steps_problem(draft.steps)
    if unsafe:  # the plans file is proven at load; this guards a book built in code, and the steps added above
        raise InputError(f"refused: unsafe fix plan for {verdict}: {unsafe}")
    plan.steps = [PlanStep(name, STEPS[name].title, STEPS[name].destructive) for name in draft.steps]
    for planned in plan.steps:
        planned.detail = STEPS[planned.name].detail(plan)
    plan.writes = [(s.address, len(s.data), s.what + _part(s)) for s in plan.segments]
    plan.bootloader_sector_hash_check = "write-firmware" in draft.steps and "write-bootloader" not in draft.steps
    return plan


# The forum's questions about a repair (issue 17), answered where the plan is shown.
_ORDER = ("The order is bootloader, then firmware: the firmware is what runs, so it is written last, and its vector "
          "table last of all, once everything else verified. When both are written over SWD the order does not "
          "matter for correctness (each is erased, written and verified on its own; nothing runs in between). It "
          "matters for why boards die: an update from VESC Tool relies on the bootloader to copy the new firmware "
          "over the old one, so a missing or broken bootloader is what turns an update into a brick.")
FULL_ERASE_NOT_NEEDED = [
    "vescdoctor erases only the sectors it writes and keeps the configuration (sectors 1-2): a full chip erase is "
    "not needed to repair this board. `vescdoctor fix --erase-all` does one if you want it.", _ORDER]


def erase_all_notes(keep_config: bool) -> list[str]:
    """What a full chip erase costs and why vescdoctor does not need it (issue 17: the forum's questions)."""
    config = ("the configuration (sectors 1-2) is written back from the backup made first" if keep_config else
              "the configuration is NOT written back (you chose not to keep it): set the motor up again; the backup "
              "keeps the old one")
    return [
        "Full chip erase (--erase-all, or the TUI's 'Erase the whole chip'): everything is erased - firmware, "
        "configuration, LispBM/QML scripts, update buffer and bootloader. It costs time: the mass erase alone takes "
        "about 8 s (up to 16 s, STM32F405 datasheet), then both images are written in full; " + config + ". "
        "vescdoctor does not need it to repair a board: it erases only the sectors it writes, reads each back, and "
        "proves the bootloader intact; a full erase fixes nothing those do not.", _ORDER]


def erase_all_steps(steps: list[str], keep_config: bool) -> list[str]:
    """--erase-all: after the backup, mass erase, then bootloader and firmware; the configuration from the backup
    written back unless --no-keep-config. The book's order sorts them."""
    extra = ["mass-erase", "write-bootloader", "write-firmware"] + (["restore-config"] if keep_config else [])
    return [s for s in steps if s not in ("erase-config", "erase-lisp")] + [s for s in extra if s not in steps]


def rider_data(facts: dict[str, Any]) -> dict[int, str]:
    """The sectors outside app and config that hold data of the rider's (LispBM, QML, packages), from the flash map
    the diagnosis read in its firmware generation's roles."""
    out = {}
    for s in facts.get("flash.sectors") or ():
        if isinstance(s, dict) and s.get("state") == "data" and s.get("role") in ("qml", "lispbm"):
            out[int(s["number"])] = str(s.get("detail") or s["role"])
    if facts.get("flash.packages") == "after-bootloader":
        out[11] = "bootloader and package data"
    return out


def _choose_steps(draft: _Draft, book: PlanBook, findings: list[str], erase_all: bool = False) -> None:
    """The verdict's steps, plus those of the other findings (rules/plans.yaml); ImageMissing when a step needs an
    image that was not given (unless the finding says to skip it)."""
    vplan = book.verdicts[draft.verdict].for_node(draft.node)
    draft.steps.extend(vplan.steps)
    needs_why: dict[str, str] = {}
    for step in draft.steps:
        if STEPS[step].needs:
            needs_why.setdefault(str(STEPS[step].needs), f"{draft.verdict}: {vplan.why}")
    for code in findings:
        extra = book.findings.get(code)
        if extra is None:
            continue
        missing = [str(STEPS[s].needs) for s in extra.steps if STEPS[s].needs and draft.given[str(STEPS[s].needs)]
                   is None]
        if missing and extra.if_missing == "skip":
            draft.warn(f"also found {code}, not fixed: it needs a {missing[0]} image", kind="finding-skipped",
                       image=missing[0], code=code)
            continue
        for step in extra.steps:
            if step not in draft.steps:
                draft.steps.append(step)
            if STEPS[step].needs:
                needs_why.setdefault(str(STEPS[step].needs), f"{code} was found too")
    if erase_all and "unlock-rdp" not in draft.steps:
        draft.steps[:] = erase_all_steps(draft.steps, draft.keep_config)
        for what in IMAGES:
            needs_why.setdefault(what, "--erase-all: the whole chip is erased, so both are written again")
    if draft.verdict == "firmware-not-running" and draft.given["firmware"] is not None \
            and "write-firmware" not in draft.steps:
        draft.steps.append("write-firmware")  # the build itself may be the cause (run_cause code): write the one given
    absent = [what for what in IMAGES if what in needs_why and draft.given[what] is None]
    if absent:
        raise ImageMissing([(what, needs_why[what]) for what in absent])


def _check_images(draft: _Draft, strong: BoardHw | None, hint: BoardHw | None) -> None:
    """Each image the steps write, checked (typed refusals) and turned into segments and records."""
    bootloader, firmware = draft.given["bootloader"], draft.given["firmware"]
    known = strong or hint  # a bootloader for other hardware is refused on a hint as well (a refusal is safe)
    if "write-bootloader" in draft.steps and bootloader is not None:
        info = check_bootloader(bootloader, draft.verdict)
        draft.images.append(image_record("bootloader", bootloader, info))
        notes: list[str] = []
        check_bootloader_hardware(info, known.name if known else None, str(bootloader.path), notes)
        draft.warnings.extend(Notice(n) for n in notes)
        if info.compression is False:
            draft.warn("the bootloader has no compression support: firmware >= 6.00 updates from VESC Tool will "
                       "not stick")
        draft.segments.append(Segment(BOOTLOADER_BASE, bytes(bootloader.data), "bootloader"))
    if "write-firmware" in draft.steps and firmware is not None:
        draft.images.append(image_record("firmware", firmware, check_firmware(firmware, strong, hint)))
        draft.segments.extend(firmware_segments(firmware, draft.keep_config))
        if not draft.keep_config and any(s.address < CONFIG_END and CONFIG_START < s.address + len(s.data)
                                         for s in draft.segments if s.what == "firmware"):
            draft.warn("the config sectors 1-2 are overwritten with what the image holds there; the motor and app "
                       "configuration is lost (the backup keeps it)", kind="config-overwritten")
    elif bootloader is not None and "write-bootloader" not in draft.steps:
        draft.warn("this plan does not write the bootloader (sector 11 is fine)", kind="image-unused",
                   image="bootloader")
    if firmware is not None and "write-firmware" not in draft.steps:
        draft.warn("this plan does not write firmware (the firmware in flash is fine)", kind="image-unused",
                   image="firmware")


def _lay_out_flash(plan: Plan, draft: _Draft, facts: dict[str, Any]) -> None:
    """Which sectors are erased, which written blank, what the backup holds; write protection in the way."""
    unlock = "unlock-rdp" in draft.steps
    if unlock:
        plan.erase_sectors = list(range(len(SECTORS)))
        plan.backup_note = ("none possible: under read protection level 1 the debugger cannot read the flash, and "
                            "lifting the protection erases it")
        plan.warnings.insert(0, Notice("lifting read protection (RDP 1 -> 0) ERASES THE WHOLE FLASH - firmware, "
                                       "configuration and bootloader - and no backup is possible under RDP 1"))
    else:
        touched = {s.number for seg in plan.segments for s in sectors_touched(seg.address, len(seg.data))}
        plan.blank_written = sorted(touched & blank_sectors(facts))
        plan.erase_sectors = sorted(touched - set(plan.blank_written))
        if "mass-erase" in draft.steps:
            plan.erase_sectors, plan.blank_written = [s.number for s in SECTORS], []
        if "erase-config" in draft.steps:
            plan.erase_sectors = sorted(set(plan.erase_sectors) | {s.number for s in SECTORS if s.role == "config"})
        plan.erase_sectors = sorted(set(plan.erase_sectors) | set(plan.script_sectors))
        plan.backup_note = ("the whole flash (1 MiB, 0x08000000..0x080FFFFF: firmware, config sectors 1-2, update "
                            "buffer, bootloader) as a .bin, plus a .json with the board UID, option bytes and sha256")
    wrp = plan.wrp_sectors
    removed = f"write protection is removed from sector(s) {', '.join(map(str, wrp))}"
    if "clear-wrp" in draft.steps and wrp:
        plan.warnings.append(Notice(removed))
    elif not unlock and wrp:
        blocked = set(wrp) & (set(plan.erase_sectors) | set(plan.blank_written))  # programming one fails too
        if blocked and "clear-wrp" not in draft.steps:
            draft.steps.append("clear-wrp")
            plan.warnings.append(Notice(removed))
    if facts.get("swd.rdp_level") == 1 and not unlock:
        raise InputError("the chip is read-protected but the plan does not lift it; run diagnose again")


def image_record(what: str, image: LoadedImage, info: ImageInfo) -> ImageRecord:
    """An image file the plan writes, as the report names it (the sha256 is the file's, as `sha256sum` says; an
    image made in memory has no file, and its bytes are what a .bin of it would hold)."""
    file_sha = image.file_sha256 or hashlib.sha256(image.data).hexdigest()
    return ImageRecord(what, str(image.path), file_sha, image.format, len(image.data), info.hw, info.version,
                       info.name if what == "bootloader" else None)


def blank_sectors(facts: dict[str, Any]) -> set[int]:
    """Sectors the diagnosis's flash map saw blank."""
    return {s["number"] for s in facts.get("flash.sectors") or () if isinstance(s, dict) and s.get("state") == "blank"}


def _part(seg: Segment) -> str:
    if seg.what != "firmware":
        return ""
    return " (sector 0)" if seg.address == FLASH_BASE and len(seg.data) <= 0x4000 else ""


def firmware_segments(image: LoadedImage, keep_config: bool) -> list[Segment]:
    """The firmware's bytes to write: what the file holds (its ranges), minus the config sectors when kept."""
    data = bytes(image.data)
    base = image.base if image.base is not None else FLASH_BASE
    ranges = list(image.ranges) if image.ranges else [(base, base + len(data))]
    windows = [(FLASH_BASE, CONFIG_START), (CONFIG_END, BOOTLOADER_BASE)] if keep_config else \
        [(FLASH_BASE, BOOTLOADER_BASE)]
    out = []
    for start, end in ranges:
        for w_start, w_end in windows:
            s, e = max(start, w_start), min(end, w_end)
            if s < e:
                out.append(Segment(s, data[s - base:e - base], "firmware"))
    return out
