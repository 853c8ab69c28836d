"""The typed records of a fix plan: its steps, the bytes it writes, the image files, its notices, the plan itself."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..knowledge.flash import SECTORS


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
class ImageRecord:
    """An image file the plan writes, as the report names it (the sha256 is the file's, as `sha256sum` says)."""

    what: str  # bootloader | firmware
    file: str
    sha256: str
    format: str
    size: int
    hw: str | None = None
    version: str | None = None
    name: str | None = None  # a known bootloader's name
    release: str | None = None  # the official release it is (the catalog names it, by sha256)
    source: str | None = None  # where the catalog fetched it from


@dataclass(frozen=True)
class Notice:
    """A warning of the plan. Its `kind` says what it is about, so that each face words what to do (a flag, a
    field): note (text only) | finding-skipped (`code` not fixed: no `image` given) | config-overwritten |
    image-unused (an `image` given that the plan does not write; `text` says why)."""

    text: str
    kind: str = "note"
    image: str | None = None
    code: str | None = None

    def __str__(self) -> str:
        if self.kind == "image-unused":
            return f"a {self.image} image is given but {self.text}"
        return self.text

    def __contains__(self, part: str) -> bool:
        return part in str(self)


class StepSequence:
    """What every plan (over SWD or over USB) tells about its steps."""
    steps: list[PlanStep]

    @property
    def destructive(self) -> bool:
        return any(s.destructive for s in self.steps)

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]


@dataclass
class Plan(StepSequence):
    verdict: str
    steps: list[PlanStep] = field(default_factory=list)
    erase_sectors: list[int] = field(default_factory=list)
    writes: list[tuple[int, int, str]] = field(default_factory=list)  # (address, size, what)
    backup_note: str = ""
    warnings: list[Notice] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    board_hw: str | None = None
    board_uid: str | None = None
    keep_config: bool = True
    bootloader_sector_hash_check: bool = False  # firmware written while sector 11 must survive
    # Sectors written without an erase: blank when diagnosed (the write checks again on the chip, and erases a
    # sector that is no longer blank, so this list is what the user is told, not a promise the chip must keep).
    blank_written: list[int] = field(default_factory=list)
    # Where board_hw came from: answer | vesc | flash (the strong sources); a backup's sidecar records it with them.
    board_hw_source: str | None = None
    images: list[ImageRecord] = field(default_factory=list)
    wrp_sectors: list[int] = field(default_factory=list)  # write-protected when diagnosed
    # Sectors holding LispBM / QML / package data (knowledge.generations): what "keep the configuration" keeps too.
    rider_data: dict[int, str] = field(default_factory=dict)
    script_sectors: list[int] = field(default_factory=list)  # LispBM/QML sectors step erase-lisp erases
    notes: list[str] = field(default_factory=list)  # what a rider asks about the plan (full erase, order), answered

    @property
    def last_write_index(self) -> int:
        """The index of the last destructive step (-1: none)."""
        return max((i for i, s in enumerate(self.steps) if s.destructive), default=-1)

    def describe(self, word: Callable[[Notice], str] = str) -> list[str]:
        """What --dry-run prints and the TUI's confirmation shows: every sector erased and written, the backup.
        `word` turns a notice into the face's words."""
        if not self.steps:
            return [f"Verdict {self.verdict}: nothing to fix."]
        lines = [f"Fix plan for {self.verdict}" + (f" (findings: {', '.join(self.findings)})" if self.findings
                                                   else "") + ":"]
        for i, step in enumerate(self.steps, 1):
            mark = " [destructive]" if step.destructive else ""
            lines.append(f"  {i}. {step.title}{mark}" + (f": {step.detail}" if step.detail else ""))
        lines.append("Sectors to erase: " + (", ".join(_sector_text(n, self.rider_data.get(n))
                                                    for n in self.erase_sectors) or "none"))
        if self.blank_written:
            lines.append("Sectors to write without an erase (already blank): "
                         + ", ".join(_sector_text(n) for n in self.blank_written))
        for addr, size, what in self.writes:
            lines.append(f"Will write: {what} at 0x{addr:08X}..0x{addr + size - 1:08X} ({size} bytes)")
        if "unlock-rdp" in self.step_names:
            lines.append("Config sectors 1-2 (0x08004000..0x0800BFFF): will be erased by the RDP regression with the "
                         "rest; the configuration will be lost (no backup is possible under RDP 1)")
        elif "mass-erase" in self.step_names:
            lines.append("Config sectors 1-2 (0x08004000..0x0800BFFF): erased with the whole chip, then "
                         + ("written back from the backup" if "restore-config" in self.step_names
                            else "left blank (the backup keeps them)"))
        elif self.keep_config and "write-firmware" in self.step_names:
            lines.append("Config sectors 1-2 (0x08004000..0x0800BFFF): will be kept as they are")
        lines.extend(self._rider_data_lines())
        lines.append(f"Backup first: {self.backup_note}")
        lines.extend(f"WARNING: {word(w)}" for w in self.warnings)
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


def _sector_text(n: int, holds: str | None = None) -> str:
    """'10 (0x080C0000, 128K LispBM scripts)': the firmware generation's use of the sector when it holds the rider's
    data there (Plan.rider_data), else the sector's role in the flash map every generation shares."""
    s = SECTORS[n]
    return f"{n} (0x{s.address:08X}, {s.size // 1024}K {holds or s.role})"
