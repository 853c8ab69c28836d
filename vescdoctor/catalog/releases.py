"""The catalog of official VESC images (knowledge/catalog.json, docs/catalog.md): look up by sha256, pick by HW.

The catalog file can be replaced with VESCDOCTOR_CATALOG=FILE (tests point it at a catalog of generated images).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import InputError

CATALOG_ENV = "VESCDOCTOR_CATALOG"
RAW_PREFIX = "https://raw.githubusercontent.com/"
DEFAULT_FILE = "VESC_default.bin"  # the build VESC Tool offers first; others are variants (shunts, limits)
MAX_CATALOG_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Release:
    """One official image."""
    kind: str  # firmware | bootloader
    sha256: str
    size: int
    version: str | None
    hw_dir: str
    hw: tuple[str, ...]  # empty: a generic bootloader, for every board
    file: str
    url: str
    repo: str
    date: str
    current: bool
    crc: dict | None = field(compare=False)  # firmware: {"app_size", "flag_offset", "crc_offset"}
    hw_name: str | None = None  # firmware: the HW_NAME it reports, read from its code (may differ from hw_dir)

    @property
    def path(self) -> str:
        """The file's path inside its repository (from the pinned URL: vedderb/<repo>/<commit>/<path>)."""
        from urllib.parse import unquote

        return unquote(self.url.removeprefix(RAW_PREFIX).split("/", 3)[3])

    def describe(self) -> str:
        """'official 7.00 release for 410_o_411_o_412 (VESC_default.bin)' / 'official bootloader ...'."""
        if self.kind == "bootloader":
            return f"official bootloader {self.file} (VESC Tool, first shipped {self.date})"
        return f"official {self.version} release for {self.hw_dir} ({self.file})"

    def to_json(self) -> dict:
        return {"kind": self.kind, "version": self.version, "hw_dir": self.hw_dir, "hw": list(self.hw),
                "hw_name": self.hw_name,
                "file": self.file, "size": self.size, "sha256": self.sha256, "url": self.url, "date": self.date,
                "current": self.current}


def _release(doc: dict) -> Release:
    return Release(str(doc["kind"]), str(doc["sha256"]), int(doc["size"]), doc.get("version"), str(doc["hw_dir"]),
                   tuple(doc.get("hw") or ()), str(doc["file"]), str(doc["url"]), str(doc.get("repo", "")),
                   str(doc.get("date", "")), bool(doc.get("current")), doc.get("crc"), doc.get("hw_name"))


@lru_cache(maxsize=4)
def _load(path: str | None) -> tuple[Release, ...]:
    try:
        if path is None:
            raw = (resources.files("vescdoctor") / "knowledge" / "catalog.json").read_bytes()
        else:
            if Path(path).stat().st_size > MAX_CATALOG_BYTES:
                raise InputError("far larger than a catalog", path)
            raw = Path(path).read_bytes()
        doc = json.loads(raw)
        return tuple(_release(d) for d in doc["images"])
    except OSError as exc:
        raise InputError(f"cannot read the catalog: {exc.strerror or exc}", path or "catalog.json") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a vescdoctor catalog (expected {{\"images\": [...]}}): {exc}",
                         path or "catalog.json") from None


def all_releases() -> tuple[Release, ...]:
    return _load(os.environ.get(CATALOG_ENV) or None)


def by_sha256(sha256: str) -> Release | None:
    return _index(os.environ.get(CATALOG_ENV) or None).get(sha256)


@lru_cache(maxsize=4)
def _index(path: str | None) -> dict[str, Release]:
    return {r.sha256: r for r in _load(path)}


def version_key(version: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in (version or "0").split("."))
    except ValueError:
        return (0,)


# --- HW names ---------------------------------------------------------------------------------------------------
# VESC Tool names a build's folder by the HW names it serves joined with `_o_` (410_o_411_o_412) and compares them
# with the name the board reports, ignoring case. Riders write 4.12 or "VESC 6": the aliases below turn the common
# spellings into the name the firmware reports (a fuller table may live in knowledge/ later; this is the one place
# the catalog asks).
_ALIASES = {"4.10": "410", "4.11": "410", "4.12": "410", "411": "410", "412": "410", "6": "60", "6.0": "60"}


def normalise_hw(name: str) -> str:
    key = name.strip()
    short = key.lower().removeprefix("vesc").strip().removeprefix("v").strip()
    return _ALIASES.get(short, key)


def serves(release: Release, hw: str) -> bool:
    """Whether `release` is built for the board that reports `hw` (a generic bootloader serves every board): one
    of the names its folder joins with `_o_`, as VESC Tool matches (vesc_tool pages/pagefirmware.cpp, names.contains
    (params.hw, Qt::CaseInsensitive)), or the HW_NAME inside the firmware, which some folders do not spell
    (A200S_V2.1 holds "A200S V2.1")."""
    want = normalise_hw(hw).lower()
    if release.kind == "bootloader" and not release.hw:
        return True
    return any(name.lower() == want for name in release.hw + ((release.hw_name,) if release.hw_name else ()))


def known_hw_names() -> list[str]:
    """Every HW name some official firmware is built for (folder names and the names inside), sorted."""
    names = {n for r in all_releases() if r.kind == "firmware" for n in r.hw + ((r.hw_name,) if r.hw_name else ())}
    return sorted(names, key=str.lower)


# --- choosing ---------------------------------------------------------------------------------------------------
def firmware_for(hw: str, version: str | None = None, file: str = DEFAULT_FILE) -> Release:
    """The release firmware for a board: the newest release (or `version`), its current build, VESC_default.bin.
    InputError naming what the catalog has for an unknown HW or version."""
    builds = [r for r in all_releases() if r.kind == "firmware" and serves(r, hw)]
    if not builds:
        raise InputError(f"no official firmware for HW {hw!r} in the catalog; known HW names: "
                         + ", ".join(known_hw_names()[:40]) + ", ... (vescdoctor firmware list)")
    versions = sorted({r.version for r in builds if r.version}, key=version_key)
    if version is not None:
        if version not in versions:
            raise InputError(f"no official {version} release for HW {hw}; the catalog has "
                             + ", ".join(versions))
        chosen = version
    else:
        chosen = versions[-1]
    picks = [r for r in builds if r.version == chosen]
    named = [r for r in picks if r.file == file] or picks
    named.sort(key=lambda r: (r.current, r.date, r.hw_dir.lower() == normalise_hw(hw).lower()))
    return named[-1]


def bootloader_for(hw: str) -> Release:
    """The bootloader VESC Tool would write to this board: the current one built for its HW, else generic.bin."""
    current = [r for r in all_releases() if r.kind == "bootloader" and r.current]
    own = [r for r in current if r.hw and serves(r, hw)]
    generic = [r for r in current if not r.hw]
    picks = own or generic
    if not picks:
        raise InputError(f"no bootloader for HW {hw!r} in the catalog")
    return max(picks, key=lambda r: r.date)


def releases_for(hw: str | None = None) -> list[Release]:
    """What `firmware list` shows: every image (for `hw`: those built for it, and the generic bootloaders)."""
    out = [r for r in all_releases() if hw is None or serves(r, hw)]
    return sorted(out, key=lambda r: (r.kind, r.hw_dir.lower(), version_key(r.version), r.file, r.date))


# --- matching a board's readback ----------------------------------------------------------------------------------
CONFIG_WINDOW = (0x4000, 0xC000)  # sectors 1-2: a release file holds a uniform fill there, a board its configuration


@dataclass(frozen=True)
class ReleaseMatch:
    release: Release
    # What had to be reset to the release file's bytes for the sha256 to match; empty: byte-identical.
    # "crc-words": the flag and CRC words the firmware writes at its first boot; "config": sectors 1-2, which on a
    # board hold its configuration (a fix keeps them) where the file holds a fill.
    reset: tuple[str, ...] = ()
    trailing_erased: int = 0  # 0xFF bytes after the image (a readback of a whole region) not counted

    @property
    def exact(self) -> bool:
        return not self.reset

    def describe(self) -> str:
        text = self.release.describe()
        if self.exact:
            return text + ", byte-identical"
        what = {"crc-words": "the CRC words written at first boot", "config": "the config sectors 1-2"}
        return text + ", identical apart from " + " and ".join(what[r] for r in self.reset)


def _variants(body: bytes, crc_layout: bool):
    """`body` as the release file would hold it: as it is, with the CRC words erased (release sizes), with the
    config window filled as release files fill it (0x00 or 0xFF)."""
    crc_set = crc_layout and body[-8:] != b"\xff" * 8
    bodies = [((), body)] + ([(("crc-words",), body[:-8] + b"\xff" * 8)] if crc_set else [])
    width = CONFIG_WINDOW[1] - CONFIG_WINDOW[0]
    for reset, candidate in bodies:
        yield reset, candidate
        if len(candidate) < CONFIG_WINDOW[1]:
            continue
        for fill in (b"\x00", b"\xff"):
            window = fill * width
            if candidate[CONFIG_WINDOW[0]:CONFIG_WINDOW[1]] != window:
                yield reset + ("config",), candidate[:CONFIG_WINDOW[0]] + window + candidate[CONFIG_WINDOW[1]:]


def match_release(data: bytes, *, erased_tail: bool = False) -> ReleaseMatch | None:
    """The official image `data` is: the file itself, a readback of a region with 0xFF after it, or a firmware
    read back from a board that has booted it (its flag and CRC words then hold 0 and the CRC, its config sectors
    the settings; reset to what the file holds there they must give the release's sha256). `erased_tail`: `data`
    is flash with its trailing 0xFF cut off (the flash map's copy), so a release may be longer by 0xFF bytes."""
    import hashlib

    data = bytes(data)
    end = len(data.rstrip(b"\xff"))  # the image ends at or after this; erased flash follows
    crc_sizes = {r.crc["app_size"] for r in all_releases() if r.crc}
    longest = max((r.size for r in all_releases()), default=0) if erased_tail else len(data)
    sizes = {r.size for r in all_releases() if end - 8 <= r.size <= max(len(data), longest)}
    for size in sorted(sizes, reverse=True):
        body = data[:size] + b"\xff" * (size - len(data)) if size > len(data) else data[:size]
        for reset, candidate in _variants(body, size in crc_sizes):
            found = by_sha256(hashlib.sha256(candidate).hexdigest())
            if found and found.size == size:
                return ReleaseMatch(found, reset, max(len(data) - size, 0))
    return None
