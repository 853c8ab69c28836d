"""HW names: every name a release defines, VESC Tool's firmware folders, and how a rider's answer maps to them.

Data: knowledge/hw_names_data.py (with sources). VESC Tool matches a firmware folder to a board by splitting the
folder's name on `_o_` and comparing each part with the HW name the board reports, case-insensitively (vesc_tool
pages/pagefirmware.cpp:251-253, 394-396), falling back to generic.bin (:410-418). Folder names can differ from
HW_NAME ("A200S_v2.1" for "A200S V2.1", "GO_FOC_HV200" for "Go-FOC HV200"): those match only loosely (case, spaces,
`_`, `-` and `.` ignored), which vescdoctor uses to name the folder, never to accept firmware.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .hw_names_data import FIRMWARE_FOLDERS, HW_NAME_SOURCES

HW_NAMES: frozenset[str] = frozenset(HW_NAME_SOURCES)
# How riders write their hardware, mapped to the HW name the firmware uses (the VESC 4.10-4.12 all run "410").
HW_ALIASES = {"4.10": "410", "4.11": "410", "4.12": "410", "411": "410", "412": "410"}
_SPLIT = re.compile(r"_o_", re.IGNORECASE)


def folder_parts(folder: str) -> list[str]:
    """VESC Tool's reading of a folder name: the HW names it serves ("410_o_411_o_412" -> 410, 411, 412)."""
    return [p for p in _SPLIT.split(folder) if p]


def loose(text: str) -> str:
    return re.sub(r"[\s_.\-]", "", text.lower())


def folders_for(hw: str) -> tuple[list[str], list[str]]:
    """(folders VESC Tool matches to a board reporting `hw`, folders that only match loosely)."""
    exact, near = [], []
    for folder in FIRMWARE_FOLDERS:
        parts = folder_parts(folder)
        if any(p.lower() == hw.lower() for p in parts):
            exact.append(folder)
        elif any(loose(p) == loose(hw) for p in parts):
            near.append(folder)
    return exact, near


@dataclass(frozen=True)
class HwAnswer:
    name: str  # the HW name as the firmware spells it, or "unsure"
    folders: tuple[str, ...] = ()  # VESC Tool firmware folders for it (its `_o_` rule)
    near_folders: tuple[str, ...] = ()  # folders whose name differs from HW_NAME only in case or punctuation

    def note(self) -> str:
        if self.name == "unsure":
            return "hw: unsure"
        text = f"hw: {self.name} (defined in bldc {HW_NAME_SOURCES.get(self.name, '?')})"
        if self.folders:
            text += "; VESC Tool firmware folders: " + ", ".join(self.folders)
        if self.near_folders:
            text += "; spelled differently in folders: " + ", ".join(self.near_folders)
        if not self.folders and not self.near_folders:
            text += "; no firmware folder in VESC Tool's archive names it (VESC Tool would offer generic firmware)"
        return text


def resolve_hw(text: str) -> HwAnswer:
    """The HW name a rider means: a HW name or a firmware folder name (any case), a common spelling, or `unsure`.

    ValueError naming close matches for anything else: an unknown name compared with the firmware's would report
    wrong-hardware firmware on a healthy board.
    """
    value = text.strip()
    name = _match(value)
    if name is None:
        raise ValueError(_refusal(value))
    if name == "unsure":
        return HwAnswer(name)
    exact, near = folders_for(name)
    return HwAnswer(name, tuple(exact), tuple(near))


def _match(value: str) -> str | None:
    if value.lower() == "unsure":
        return "unsure"
    if value in HW_NAMES:
        return value
    key = value.lower().removeprefix("vesc").strip().removeprefix("v").strip()
    if key in HW_ALIASES:
        return HW_ALIASES[key]
    same_case = [n for n in HW_NAMES if n.lower() == value.lower()]
    if len(same_case) == 1:
        return same_case[0]
    folder = next((f for f in FIRMWARE_FOLDERS if f.lower() == value.lower()), None)
    parts = folder_parts(folder) if folder else [value]
    for part in parts:  # a folder: its first part that names a HW (410_o_411_o_412 -> 410)
        hits = [n for n in HW_NAMES if n.lower() == part.lower()] or \
            [n for n in HW_NAMES if loose(n) == loose(part)]
        if len(hits) == 1:
            return hits[0]
        if part.lower() in HW_ALIASES:
            return HW_ALIASES[part.lower()]
    return None


def close_matches(value: str, n: int = 5) -> list[str]:
    """Known HW and folder names that look like `value` (difflib, case-insensitive)."""
    pool: dict[str, str] = {}
    for name in list(HW_NAMES) + list(FIRMWARE_FOLDERS):
        pool.setdefault(name.lower(), name)
    return [pool[m] for m in difflib.get_close_matches(value.lower(), list(pool), n=n, cutoff=0.6)]


def _refusal(value: str) -> str:
    near = close_matches(value)
    hint = f"close matches: {', '.join(near)}" if near else \
        "e.g. 410 for VESC 4.10-4.12, 60, 75_300"
    return (f"{value!r} is not a VESC HW name vescdoctor knows ({hint}); `vescdoctor inspect FW.bin` shows the name a "
            "firmware is built for; or answer unsure")
