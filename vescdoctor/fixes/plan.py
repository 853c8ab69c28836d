"""The fix plan of a diagnosis: which steps, which sectors erased, which bytes written, what the backup holds.

`make_plan` reads only the diagnosis and the image files: every refusal (InputError, one line) comes before any chip
access. The plan derives from what the chip holds now (the diagnosis), so a second `fix` after an interruption
makes the plan that finishes the job.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..images import LoadedImage, identify
from ..knowledge.flash import (APP_MAX_SIZE_6, BOOTLOADER_BASE, FLASH_BASE, SECTORS, sectors_touched)
from .actions import STEP_NEEDS
from .backup import HW_SOURCE_WORDS, hw_from_backups
from .plan_safety import steps_problem
from .plans_file import PlanBook, load_plans
from .registry import FIXES

CONFIG_START, CONFIG_END = SECTORS[1].address, SECTORS[2].end  # 0x08004000..0x0800C000
BOOTLOADER_SIZE = SECTORS[11].size


@dataclass
class PlanStep:
    name: str
    title: str
    destructive: bool
    detail: str = ""

    @property
    def step(self) -> str:  # the report's plan entries read `step`
        return self.name


@dataclass
class Segment:
    address: int
    data: bytes
    what: str  # "bootloader" | "firmware"


@dataclass
class Plan:
    verdict: str
    steps: list[PlanStep]
    erase_sectors: list[int]
    writes: list[tuple[int, int, str]]
    backup_note: str
    warnings: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a rider asks about the plan (full erase, order), answered
    board_hw: str | None = None
    board_uid: str | None = None
    keep_config: bool = True
    bootloader_sector_hash_check: bool = False  # firmware written while sector 11 must survive
    # Sectors written without an erase: blank when diagnosed (the write checks again on the chip, and erases a
    # sector that is no longer blank, so this list is what the user is told, not a promise the chip must keep).
    blank_written: list[int] = field(default_factory=list)
    # Where board_hw came from: answer | vesc | flash (the strong sources); a backup's sidecar records it with them.
    board_hw_source: str | None = None
    # The image files the plan writes, as the report names them: what, file, sha256 (of the file), format, size,
    # hw, version, name (a known bootloader's).
    images: list[dict] = field(default_factory=list)
    # Sectors holding LispBM / QML / package data (knowledge.generations): what "keep the configuration" keeps too.
    rider_data: dict[int, str] = field(default_factory=dict)

    @property
    def destructive(self) -> bool:
        return any(s.destructive for s in self.steps)

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    def describe(self) -> list[str]:
        """What --dry-run prints and the TUI's confirmation shows: every sector erased and written, the backup."""
        if not self.steps:
            return [f"Verdict {self.verdict}: nothing to fix."]
        lines = [f"Fix plan for {self.verdict}" + (f" (findings: {', '.join(self.findings)})" if self.findings
                                                   else "") + ":"]
        for i, step in enumerate(self.steps, 1):
            mark = " [destructive]" if step.destructive else ""
            lines.append(f"  {i}. {step.title}{mark}" + (f": {step.detail}" if step.detail else ""))
        if self.erase_sectors:
            lines.append("Sectors to erase: " + ", ".join(_sector_text(n) for n in self.erase_sectors))
        else:
            lines.append("Sectors to erase: none")
        if self.blank_written:
            lines.append("Sectors to write without an erase (already blank): "
                         + ", ".join(_sector_text(n) for n in self.blank_written))
        for addr, size, what in self.writes:
            lines.append(f"Will write: {what} at 0x{addr:08X}..0x{addr + size - 1:08X} ({size} bytes)")
        if "unlock-rdp" in self.step_names:
            lines.append("Config sectors 1-2 (0x08004000..0x0800BFFF): will be erased by the RDP regression with the "
                         "rest; the configuration will be lost (no backup is possible under RDP 1)")
        elif self.keep_config and "write-firmware" in self.step_names:
            lines.append("Config sectors 1-2 (0x08004000..0x0800BFFF): will be kept as they are")
        lines.extend(self._rider_data_lines())
        lines.append(f"Backup first: {self.backup_note}")
        lines.extend(f"WARNING: {w}" for w in self.warnings)
        lines.extend(f"Note: {n}" for n in self.notes)
        return lines


    def _rider_data_lines(self) -> list[str]:
        """LispBM, QML and package data of the firmware generation in flash: kept, or lost with the sectors erased."""
        if not self.rider_data:
            return []
        touched = set(self.erase_sectors) | set(self.blank_written)
        kept = [f"{n} ({what})" for n, what in sorted(self.rider_data.items()) if n not in touched]
        lost = [f"{n} ({what})" for n, what in sorted(self.rider_data.items()) if n in touched]
        lines = []
        if kept:
            lines.append("Scripts and data kept: sector " + ", ".join(kept))
        if lost:
            lines.append("Scripts and data erased (the backup keeps them): sector " + ", ".join(lost))
        return lines


def rider_data(facts: dict) -> dict[int, str]:
    """The sectors outside app and config that hold data of the rider's (LispBM, QML, packages), from the flash map
    the diagnosis read in its firmware generation's roles."""
    out = {}
    for s in facts.get("flash.sectors") or ():
        if isinstance(s, dict) and s.get("state") == "data" and s.get("role") in ("qml", "lispbm"):
            out[int(s["number"])] = str(s.get("detail") or s["role"])
    if facts.get("flash.packages") == "after-bootloader":
        out[11] = "bootloader and package data"
    return out


# The forum's questions about a repair (issue 17), answered where the plan is shown.
_ORDER = ("The order is bootloader, then firmware: the firmware is what runs, so it is written last, and its vector "
          "table last of all, once everything else verified. When both are written over SWD the order does not "
          "matter for correctness (each is erased, written and verified on its own; nothing runs in between). It "
          "matters for why boards die: an update from VESC Tool relies on the bootloader to copy the new firmware "
          "over the old one, so a missing or broken bootloader is what turns an update into a brick.")
FULL_ERASE_NOT_NEEDED = [
    "vescdoctor erases only the sectors it writes and keeps the configuration (sectors 1-2): a full chip erase is "
    "not needed to repair this board. `vescdoctor fix --erase-all` does one if you want it.", _ORDER]
ERASE_ALL_NOTES = [
    "--erase-all: the whole chip is erased (the forum's 'full chip erase'): firmware, configuration, update buffer "
    "and bootloader; it costs a full rewrite of both images (slower) and, without the backup, the configuration. "
    "vescdoctor does not need it to repair a board: it erases only what it writes.", _ORDER]


def erase_all_steps(steps: list[str], keep_config: bool) -> list[str]:
    """--erase-all: after the backup, mass erase, then bootloader and firmware; the configuration from the backup
    written back unless --no-keep-config. The book's order sorts them."""
    extra = ["mass-erase", "write-bootloader", "write-firmware"] + (["restore-config"] if keep_config else [])
    return [s for s in steps if s != "erase-config"] + [s for s in extra if s not in steps]


def _sector_text(n: int) -> str:
    s = SECTORS[n]
    return f"{n} (0x{s.address:08X}, {s.size // 1024}K {s.role})"


# Where a board's HW name can come from. Strong (backup.HW_SOURCE_WORDS): the user's word, the VESC's own reply, the
# intact firmware the chip runs now. Hints: the update in the buffer and earlier backups describe what someone tried
# to install, not the board.
@dataclass
class BoardHw:
    name: str
    source: str  # in words, for messages: "your answer", "the update in the buffer", ...
    kind: str  # answer | vesc | flash (strong) | flash-partial | buffer | backup (hints)


def _app_intact(facts: dict) -> bool:
    """The firmware in the app area is a whole VESC firmware the chip can run, not an update cut short."""
    return bool(facts.get("flash.app_runnable")) and facts.get("flash.app_kind") == "vesc" \
        and not facts.get("flash.app_partial")


def board_hw_sources(diagnosis: Any, board_hw: str | None = None,
                     backup_dir: Path | None = None) -> tuple[BoardHw | None, BoardHw | None]:
    """(strong, hint): the board's HW from a source that speaks for the board (the caller or the user's answer,
    the VESC's reply, the intact firmware in flash, or a HW an earlier fix recorded from one of those), and the
    best hint (the update in the buffer, the firmware left by an update cut short, an earlier backup's firmware).
    Neither comes from firmware the diagnosis found built for other hardware."""
    result = diagnosis.result
    answer = (result.answers or {}).get("hw")
    for name in (board_hw, answer):
        if name and name != "unsure":
            return BoardHw(name, HW_SOURCE_WORDS["answer"], "answer"), None
    facts = result.facts or {}
    wrong = diagnosis.verdict == "wrong-hardware-firmware" or "wrong-hardware-firmware" in (result.findings or [])
    hints: list[BoardHw] = []
    if not wrong:
        if facts.get("vesc.hw_name"):
            return BoardHw(str(facts["vesc.hw_name"]), HW_SOURCE_WORDS["vesc"], "vesc"), None
        if facts.get("flash.app_hw"):
            if _app_intact(facts):
                return BoardHw(str(facts["flash.app_hw"]), HW_SOURCE_WORDS["flash"], "flash"), None
            hints.append(BoardHw(str(facts["flash.app_hw"]), "the firmware left in flash by an update cut short",
                                 "flash-partial"))
        if facts.get("flash.buffer_hw"):
            hints.append(BoardHw(str(facts["flash.buffer_hw"]), "the update in the buffer", "buffer"))
    if backup_dir is not None:
        strong, hint = hw_from_backups(Path(backup_dir), facts.get("swd.uid"))
        if strong:
            return BoardHw(*strong), None
        if hint and not wrong:
            hints.append(BoardHw(*hint))
    return None, (hints[0] if hints else None)


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


def _check_firmware(image: LoadedImage, strong: BoardHw | None, hint: BoardHw | None) -> tuple[Any, str]:
    where = str(image.path)
    base = image.base if image.base is not None else FLASH_BASE
    end = base + len(image.data)
    placement = placement_problem(image)
    if placement:
        raise InputError(placement, where)
    if base == BOOTLOADER_BASE or identify(image.data, image.base, image.ranges).kind == "bootloader":
        raise InputError("refused: this is a bootloader (linked for sector 11, 0x080E0000), not firmware: pass it "
                         "with --bootloader", where)
    if end > BOOTLOADER_BASE:
        raise InputError(f"refused: the image ends at 0x{end - 1:08X} and overlaps sector 11 (the bootloader at "
                         f"0x{BOOTLOADER_BASE:08X}); a firmware image is at most {APP_MAX_SIZE_6} bytes", where)
    if base != FLASH_BASE:
        raise InputError(f"refused: the file places its data at 0x{base:08X}; firmware goes at 0x{FLASH_BASE:08X}",
                         where)
    if len(image.data) > APP_MAX_SIZE_6:
        raise InputError(f"refused: {len(image.data)} bytes do not fit the app area ({APP_MAX_SIZE_6} bytes, "
                         f"0x08000000..0x0807FFF7); it would run into the update buffer", where)
    info = identify(image.data, image.base, image.ranges)
    if info.kind == "bootloader":
        raise InputError("refused: this is a bootloader, not firmware (pass it with --bootloader)", where)
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
        return info, where
    if hint is None:
        raise InputError(f"refused: the board's hardware is not known, so the firmware (HW {info.hw}) cannot be "
                         "checked against it; say which it is with --answer hw=NAME (e.g. --answer hw=410)", where)
    # A hint tells what someone tried to install, not what the board is: the user confirms the board's HW.
    if info.hw != hint.name:
        raise InputError(f"refused: the firmware is built for HW {info.hw} but {hint.source} is for HW {hint.name}, "
                         "and that only shows what was to be installed, not the board; if the board is HW "
                         f"{info.hw}, confirm it with --answer hw={info.hw}", where)
    raise InputError(f"refused: only {hint.source} says HW {hint.name}, and that shows what was to be installed, "
                     f"not the board; confirm the board is HW {hint.name} with --answer hw={hint.name}", where)


def _check_bootloader_hardware(info: Any, board_hw: str | None, where: str, warnings: list[str]) -> None:
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


def _check_bootloader(image: LoadedImage, verdict: str) -> Any:
    where = str(image.path)
    placement = placement_problem(image)
    if placement:
        raise InputError(placement, where)
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


def make_plan(diagnosis: Any, *, bootloader: LoadedImage | None, firmware: LoadedImage | None,
              keep_config: bool = True, board_hw: str | None = None, book: PlanBook | None = None,
              backup_dir: Path | None = None, erase_all: bool = False) -> Plan:
    """The plan for `diagnosis`'s verdict and findings. InputError (one line) for every refusal."""
    book = book or load_plans()
    result = diagnosis.result
    verdict = diagnosis.verdict
    facts = result.facts or {}
    findings = [f for f in (result.findings or []) if f != verdict]
    if verdict == "healthy":
        return Plan(verdict, [], [], [], "no backup needed: nothing is changed", findings=findings)
    vplan = book.verdicts.get(verdict)
    if vplan is None:
        raise InputError(f"no fix vescdoctor can apply for the verdict '{verdict}': follow the next steps of the "
                         "diagnosis")

    steps = list(vplan.steps)
    warnings: list[str] = []
    needs_why: dict[str, str] = {}
    for step in steps:
        if STEP_NEEDS.get(step):
            needs_why.setdefault(STEP_NEEDS[step], f"{verdict}: {vplan.why}")
    given = {"bootloader": bootloader, "firmware": firmware}
    for code in findings:
        extra = book.findings.get(code)
        if extra is None:
            continue
        missing = [STEP_NEEDS[s] for s in extra.steps if STEP_NEEDS.get(s) and given[STEP_NEEDS[s]] is None]
        if missing and extra.if_missing == "skip":
            warnings.append(f"also found {code}, not fixed: pass --{missing[0]} FILE to fix it too")
            continue
        for step in extra.steps:
            if step not in steps:
                steps.append(step)
            if STEP_NEEDS.get(step):
                needs_why.setdefault(STEP_NEEDS[step], f"{code} was found too")
    if erase_all and "unlock-rdp" not in steps:
        steps = erase_all_steps(steps, keep_config)
        for what in ("bootloader", "firmware"):
            needs_why.setdefault(what, "--erase-all: the whole chip is erased, so both are written again")
    if verdict == "firmware-not-running" and firmware is not None and "write-firmware" not in steps:
        steps.append("write-firmware")  # the build itself may be the cause (run_cause code): write the one given
    absent = [what for what in ("bootloader", "firmware") if what in needs_why and given[what] is None]
    if absent:
        raise InputError("this fix needs " + " and ".join(f"a {what} image ({needs_why[what]})" for what in absent)
                         + ": pass " + " and ".join(f"--{what} FILE" for what in absent))

    strong, hint = board_hw_sources(diagnosis, board_hw, backup_dir)
    known = strong or hint  # a bootloader for other hardware is refused on a hint as well (a refusal is safe)
    hw = known.name if known else None
    segments: list[Segment] = []
    images: list[dict] = []
    if "write-bootloader" in steps:
        info = _check_bootloader(bootloader, verdict)
        images.append(image_record("bootloader", bootloader, info))
        _check_bootloader_hardware(info, hw, str(bootloader.path), warnings)
        if info.compression is False:
            warnings.append("the bootloader has no compression support: firmware >= 6.00 updates from VESC Tool "
                            "will not stick")
        segments.append(Segment(BOOTLOADER_BASE, bytes(bootloader.data), "bootloader"))
    fw_info = None
    if "write-firmware" in steps:
        fw_info, _ = _check_firmware(firmware, strong, hint)
        images.append(image_record("firmware", firmware, fw_info))
        segments.extend(_firmware_segments(firmware, keep_config))
        if not keep_config and any(s.address < CONFIG_END and CONFIG_START < s.address + len(s.data)
                                   for s in segments if s.what == "firmware"):
            warnings.append("--no-keep-config: the config sectors 1-2 are overwritten with what the image holds "
                            "there; the motor and app configuration is lost (the backup keeps it)")
    elif bootloader is not None and "write-bootloader" not in steps:
        warnings.append("--bootloader given but this plan does not write the bootloader (sector 11 is fine)")
    if firmware is not None and "write-firmware" not in steps:
        warnings.append("--firmware given but this plan does not write firmware (the firmware in flash is fine)")

    rdp_level = facts.get("swd.rdp_level")
    unlock = "unlock-rdp" in steps
    blank_written: list[int] = []
    if unlock:
        erase = list(range(len(SECTORS)))
        backup_note = ("none possible: under read protection level 1 the debugger cannot read the flash, and "
                       "lifting the protection erases it")
        warnings.insert(0, "lifting read protection (RDP 1 -> 0) ERASES THE WHOLE FLASH - firmware, "
                           "configuration and bootloader - and no backup is possible under RDP 1")
    else:
        touched = {s.number for seg in segments for s in sectors_touched(seg.address, len(seg.data))}
        blank_written = sorted(touched & blank_sectors(facts))
        erase = sorted(touched - set(blank_written))
        if "mass-erase" in steps:
            erase, blank_written = [s.number for s in SECTORS], []
        if "erase-config" in steps:
            erase = sorted(set(erase) | {s.number for s in SECTORS if s.role == "config"})
        backup_note = ("the whole flash (1 MiB, 0x08000000..0x080FFFFF: firmware, config sectors 1-2, update "
                       "buffer, bootloader) as a .bin, plus a .json with the board UID, option bytes and sha256")
    wrp = list(facts.get("swd.wrp_sectors") or [])
    if "clear-wrp" in steps and wrp:
        warnings.append(f"write protection is removed from sector(s) {', '.join(map(str, wrp))}")
    elif not unlock and wrp:
        blocked = sorted(set(wrp) & (set(erase) | set(blank_written)))  # programming a protected sector fails too
        if blocked and "clear-wrp" not in steps:
            steps.append("clear-wrp")
            warnings.append(f"write protection is removed from sector(s) {', '.join(map(str, wrp))}")
    if rdp_level == 1 and not unlock:
        raise InputError("the chip is read-protected but the plan does not lift it; run diagnose again")

    order = {name: i for i, name in enumerate(book.order)}
    steps.sort(key=lambda s: order[s])
    unsafe = steps_problem(steps)
    if unsafe:  # the plans file is proven at load; this guards a book built in code, and the steps added above
        raise InputError(f"refused: unsafe fix plan for {verdict}: {unsafe}")
    plan_steps = []
    for name in steps:
        spec = FIXES[name]
        plan_steps.append(PlanStep(name, spec.title, spec.destructive,
                                   _detail(name, segments, erase, wrp, fw_info, blank_written)))
    writes = [(s.address, len(s.data), s.what + _part(s)) for s in segments]
    notes = ERASE_ALL_NOTES if "mass-erase" in steps else FULL_ERASE_NOT_NEEDED if segments else []
    return Plan(verdict, plan_steps, erase, writes, backup_note, warnings, findings, segments, notes,
                strong.name if strong else None, facts.get("swd.uid"), keep_config,
                bootloader_sector_hash_check="write-firmware" in steps and "write-bootloader" not in steps,
                blank_written=blank_written, board_hw_source=strong.kind if strong else None, images=images,
                rider_data=rider_data(facts))


def image_record(what: str, image: LoadedImage, info: Any) -> dict:
    """An image file the plan writes, as the report names it (the sha256 is the file's, as `sha256sum` says; an
    image made in memory has no file, and its bytes are what a .bin of it would hold)."""
    file_sha = image.file_sha256 or hashlib.sha256(image.data).hexdigest()
    return {"what": what, "file": str(image.path), "sha256": file_sha, "format": image.format,
            "size": len(image.data), "hw": getattr(info, "hw", None), "version": getattr(info, "version", None),
            "name": getattr(info, "name", None) if what == "bootloader" else None}


def blank_sectors(facts: dict) -> set[int]:
    """Sectors the diagnosis's flash map saw blank."""
    return {s["number"] for s in facts.get("flash.sectors") or () if isinstance(s, dict) and s.get("state") == "blank"}


def _part(seg: Segment) -> str:
    if seg.what != "firmware":
        return ""
    return " (sector 0)" if seg.address == FLASH_BASE and len(seg.data) <= 0x4000 else ""


def _detail(name: str, segments: list[Segment], erase: list[int], wrp: list[int], fw_info: Any,
            blank_written: list[int]) -> str:
    if name == "write-bootloader":
        seg = next(s for s in segments if s.what == "bootloader")
        return f"{len(seg.data)} bytes, into sector 11 only"
    if name == "write-firmware":
        secs = sorted({s.number for seg in segments if seg.what == "firmware"
                       for s in sectors_touched(seg.address, len(seg.data))})
        total = sum(len(s.data) for s in segments if s.what == "firmware")
        hw = f"HW {fw_info.hw}" + (f", FW {fw_info.version}" if fw_info.version else "") if fw_info else ""
        erased = [n for n in secs if n not in blank_written]
        blank = [n for n in secs if n in blank_written]
        into = f"{total} bytes into sector{'s' if len(secs) > 1 else ''} {_numbers(secs)}"
        if not erased:
            how = "all blank already, so nothing needs erasing"
        elif not blank:
            how = "erased first"
        else:
            how = f"{_numbers(erased)} erased first, {_numbers(blank)} blank already"
        return f"{hw}; {into}: {how}" if hw else f"{into}: {how}"
    if name == "clear-wrp":
        return "sectors " + ", ".join(map(str, wrp)) if wrp else "all sectors"
    if name == "unlock-rdp":
        return "option byte RDP := 0xAA, then reset and reconnect"
    return ""


def _numbers(ns: list[int]) -> str:
    """[0, 3, 4] -> 0, 3 and 4"""
    words = [str(n) for n in ns]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def _firmware_segments(image: LoadedImage, keep_config: bool) -> list[Segment]:
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
