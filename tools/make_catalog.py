#!/usr/bin/env python3
"""Generate vescdoctor/knowledge/catalog.json: every official VESC image for STM32F4 hardware, from the public
repositories' git history (docs/catalog.md says how to refresh it).

Sources (bare git directories, e.g. brought by `git clone --mirror`):
  vedderb/vesc_fw_archive  <version>/<hw dir>/VESC_*.bin, every commit (a build replaced later is kept too: a board
                           may run it)
  vedderb/vesc_tool        res/bootloaders/*.bin and res/firmwares/<hw dir>/*.bin, every commit (the images VESC
                           Tool has bundled; firmware already in the archive is listed once, from the archive)

Only what a git directory holds is read; a blob it lacks (a partial clone leaves out large files) is counted and
named in the summary, never guessed. Images for other chips are left out by their vector table (see `stm32f4_role`).

    python tools/make_catalog.py --archive DIR --vesc-tool DIR [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import re
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from vescdoctor.images.hwname import find_hw_name  # noqa: E402
from vescdoctor.images.version import version_from_code  # noqa: E402

RAW = "https://raw.githubusercontent.com/vedderb"
ARCHIVE_PATH = re.compile(r"^(?P<version>\d+\.\d+)/(?P<hw_dir>[^/]+)/(?P<file>VESC_[^/]*\.bin)$")
TOOL_FW_PATH = re.compile(r"^res/firmwares/(?P<hw_dir>[^/]+)/(?P<file>[^/]+\.bin)$")
TOOL_BL_PATH = re.compile(r"^res/bootloaders/(?P<file>[^/]+\.bin)$")

# STM32F405/7 (vescdoctor/knowledge/flash.py; RM0090 memory map): 1 MiB flash at 0x08000000, the bootloader in
# sector 11 (0x080E0000), SRAM 128 KiB at 0x20000000, CCM 64 KiB at 0x10000000. App area: 4 x 128 KiB - 8.
FLASH_BASE, BOOT_BASE, FLASH_END = 0x08000000, 0x080E0000, 0x08100000
APP_MAX = 4 * 128 * 1024 - 8
BOOT_SECTOR = 128 * 1024
FIRST_ARCHIVED = "3.55"
CRC_LAYOUTS = (3 * 128 * 1024 - 8, 4 * 128 * 1024 - 8)  # 393208 (3.55..5.03), 524280 (6.00..7.00)


def stm32f4_role(data: bytes) -> str | None:
    """'firmware' or 'bootloader' when the vector table is one an STM32F4 VESC image has (initial SP in SRAM or CCM,
    Thumb reset vector in the app area or sector 11) and the size fits that region; None for anything else
    (ESP32 images, an STM32G4 module's bootloader at another address, a file that is not an image)."""
    if len(data) < 8:
        return None
    sp, reset = struct.unpack_from("<II", data)
    in_ram = 0x20000000 <= sp <= 0x20020000 or 0x10000000 <= sp <= 0x10010000
    if not in_ram or not reset & 1:
        return None
    pc = reset & ~1
    if FLASH_BASE <= pc < BOOT_BASE and len(data) <= APP_MAX:
        return "firmware"
    if BOOT_BASE <= pc < FLASH_END and len(data) <= BOOT_SECTOR:
        return "bootloader"
    return None


class Git:
    def __init__(self, git_dir: Path):
        self.git_dir = str(git_dir)

    def run(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", self.git_dir, *args], check=True, capture_output=True,
                              text=True).stdout

    def commits(self, *paths: str) -> list[tuple[str, str]]:
        """(commit, date) touching `paths`, newest first, every branch and side line."""
        out = self.run("log", "--all", "--full-history", "--format=%H %cs", "--", *paths)
        return [tuple(line.split()) for line in out.splitlines()]  # type: ignore[misc]

    def tree(self, commit: str, *paths: str) -> list[tuple[str, int | None, str]]:
        """(blob, size, path) of every file under `paths` at `commit`."""
        out = self.run("ls-tree", "-r", "-l", "-z", commit, "--", *paths)
        rows = []
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            _mode, kind, blob, size = meta.split()
            if kind == "blob":
                rows.append((blob, None if size == "-" else int(size), path))
        return rows

    def head(self) -> str:
        return self.run("rev-parse", "HEAD").strip()

    def blobs(self, ids: list[str]) -> dict[str, bytes | None]:
        """The content of each blob; None for one this git directory does not hold."""
        proc = subprocess.run(["git", "--git-dir", self.git_dir, "cat-file", "--batch"],
                              input=("\n".join(ids) + "\n").encode(), capture_output=True, check=True)
        out, pos, found = proc.stdout, 0, {}
        for blob in ids:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            if header[-1] == b"missing":
                found[blob], pos = None, end + 1
                continue
            size = int(header[2])
            found[blob] = out[end + 1:end + 1 + size]
            pos = end + 1 + size + 1
        return found


@dataclass
class Seen:
    """A blob at a path, with the newest commit that holds it there (its URL is pinned to that commit)."""
    blob: str
    path: str
    commit: str
    date: str
    current: bool = False  # in the newest commit of the default branch
    first_date: str = ""  # the oldest commit that holds it there


def scan(git: Git, pattern: re.Pattern, *paths: str) -> dict[tuple[str, str], Seen]:
    head = git.head()
    found: dict[tuple[str, str], Seen] = {}
    commits = git.commits(*paths)
    head_date = git.run("log", "-1", "--format=%cs", head).strip()
    for commit, date in [(head, head_date)] + commits:
        for blob, _size, path in git.tree(commit, *paths):
            if not pattern.match(path):
                continue
            key = (blob, path)
            if key not in found:
                found[key] = Seen(blob, path, commit, date, current=commit == head, first_date=date)
            found[key].first_date = min(found[key].first_date, date)
    return found


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def hw_names(hw_dir: str) -> list[str]:
    """VESC Tool's folder and file names list the HW names a build serves, joined by `_o_`."""
    return [p for p in hw_dir.split("_o_") if p]


def url(repo: str, commit: str, path: str) -> str:
    return f"{RAW}/{repo}/{commit}/{quote(path)}"


def crc_layout(size: int) -> dict | None:
    """Where a release keeps its CRC flag and CRC word (the last 8 bytes of the app area; both 0xFFFFFFFF in the
    file, written by the firmware at its first boot: bldc flash_helper.c, vesc-stm32.md App CRC words)."""
    if size not in CRC_LAYOUTS:
        return None
    return {"app_size": size, "flag_offset": size - 8, "crc_offset": size - 4}


def firmware_record(data: bytes, seen: Seen, repo: str, version: str | None, hw_dir: str, file: str) -> dict:
    import hashlib

    return {"kind": "firmware", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "version": version,
            "hw_dir": hw_dir, "hw": hw_names(hw_dir), "file": file, "repo": repo, "date": seen.first_date,
            "current": seen.current, "crc": crc_layout(len(data)), "url": url(repo, seen.commit, seen.path),
            # the HW_NAME the firmware reports, read from its code: a folder name is not always it (A200S_V2.1
            # holds "A200S V2.1", FLIPSKY_V4 "Flipsky_412")
            "hw_name": find_hw_name(data)}


class Summary:
    def __init__(self):
        self.missing: list[str] = []
        self.other_chip: list[str] = []
        self.not_release: list[str] = []

    def print(self, records: list[dict]) -> None:
        kinds = {k: sum(r["kind"] == k for r in records) for k in ("firmware", "bootloader")}
        print(f"catalog: {kinds['firmware']} firmware, {kinds['bootloader']} bootloader images", file=sys.stderr)
        for what, items in (("blobs absent from the git directory", self.missing),
                            ("left out: not an STM32F4 VESC image", self.other_chip),
                            ("vesc_tool firmware left out: not a release before 3.55 (a development build of a "
                             "version the archive holds, or no version in the code)", self.not_release)):
            if items:
                print(f"{what}: {len(items)}", file=sys.stderr)
                for item in items[:20]:
                    print(f"  {item}", file=sys.stderr)


def archive_records(git: Git, summary: Summary) -> list[dict]:
    seen = scan(git, ARCHIVE_PATH, ".")
    contents = git.blobs(sorted({s.blob for s in seen.values()}))
    records: dict[str, dict] = {}
    # Oldest version first, then current builds before replaced ones: an image listed under several paths keeps
    # the release that first shipped it.
    for s in sorted(seen.values(), key=lambda s: (version_key(ARCHIVE_PATH.match(s.path)["version"]),
                                                  not s.current, s.path)):
        m = ARCHIVE_PATH.match(s.path)
        data = contents[s.blob]
        if data is None:
            summary.missing.append(f"vesc_fw_archive {s.commit[:8]} {s.path}")
            continue
        if stm32f4_role(data) != "firmware":
            summary.other_chip.append(f"vesc_fw_archive {s.path}")
            continue
        rec = firmware_record(data, s, "vesc_fw_archive", m["version"], m["hw_dir"], m["file"])
        if rec["sha256"] in records:
            records[rec["sha256"]]["current"] |= s.current
            continue
        records[rec["sha256"]] = rec
    return list(records.values())


def tool_firmware_records(git: Git, known: set[str], summary: Summary) -> list[dict]:
    seen = scan(git, TOOL_FW_PATH, "res/firmwares")
    contents = git.blobs(sorted({s.blob for s in seen.values()}))
    records: dict[str, dict] = {}
    for s in sorted(seen.values(), key=lambda s: (s.date, s.path), reverse=True):
        m = TOOL_FW_PATH.match(s.path)
        data = contents[s.blob]
        if data is None:
            summary.missing.append(f"vesc_tool {s.commit[:8]} {s.path}")
            continue
        if stm32f4_role(data) != "firmware":
            summary.other_chip.append(f"vesc_tool {s.path}")
            continue
        version = version_from_code(data)
        rec = firmware_record(data, s, "vesc_tool", version, m["hw_dir"], m["file"])
        if rec["sha256"] in known or rec["sha256"] in records:
            continue
        # The archive holds the releases from 3.55 on; a build VESC Tool bundled of those versions that the archive
        # lacks is a development build, not a release. Older releases are only in VESC Tool's history.
        if version is None or version_key(version) >= version_key(FIRST_ARCHIVED):
            summary.not_release.append(f"{s.commit[:8]} {s.path} (version {version or 'not in the code'})")
            continue
        rec["current"] = False  # the archive is where the newest releases are taken from
        records[rec["sha256"]] = rec
    return list(records.values())


def bootloader_records(git: Git, summary: Summary) -> list[dict]:
    import hashlib

    seen = scan(git, TOOL_BL_PATH, "res/bootloaders")
    contents = git.blobs(sorted({s.blob for s in seen.values()}))
    by_sha: dict[str, dict] = {}
    for s in sorted(seen.values(), key=lambda s: s.date, reverse=True):  # newest name first
        data = contents[s.blob]
        if data is None:
            summary.missing.append(f"vesc_tool {s.commit[:8]} {s.path}")
            continue
        if stm32f4_role(data) != "bootloader":
            summary.other_chip.append(f"vesc_tool {s.path}")
            continue
        sha = hashlib.sha256(data).hexdigest()
        file = TOOL_BL_PATH.match(s.path)["file"]
        hw_dir = file.removesuffix(".bin")
        rec = by_sha.get(sha)
        if rec is None:
            rec = by_sha[sha] = {"kind": "bootloader", "sha256": sha, "size": len(data), "version": None,
                                 "hw_dir": hw_dir, "hw": [] if hw_dir == "generic" else hw_names(hw_dir),
                                 "file": file, "repo": "vesc_tool", "date": s.first_date, "current": s.current,
                                 "crc": None, "url": url("vesc_tool", s.commit, s.path)}
        else:
            rec["current"] |= s.current
            if hw_dir != "generic":  # older names of the same image may list fewer or other boards
                rec["hw"] += [n for n in hw_names(hw_dir) if n not in rec["hw"]]
        rec["date"] = min(rec["date"], s.first_date)  # first shipped, under any name
    return list(by_sha.values())


def write(records: list[dict], out: Path, sources: dict) -> None:
    """One record per line: a refresh shows as a readable diff."""
    records.sort(key=lambda r: (r["kind"], r["hw_dir"].lower(), version_key(r["version"] or "0.0"), r["file"],
                                r["date"], r["sha256"]))
    lines = ",\n".join(json.dumps(r, separators=(",", ":"), sort_keys=True) for r in records)
    doc = (f'{{"format":1,"sources":{json.dumps(sources, separators=(",", ":"), sort_keys=True)},\n'
           f'"images":[\n{lines}\n]}}\n')
    out.write_text(doc, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path, default=Path("/work/.mirror/vedderb+vesc_fw_archive/repo"),
                    help="bare git directory of vedderb/vesc_fw_archive")
    ap.add_argument("--vesc-tool", type=Path, default=Path("/work/.mirror/vedderb+vesc_tool/repo"),
                    help="bare git directory of vedderb/vesc_tool")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "vescdoctor" / "knowledge" / "catalog.json")
    args = ap.parse_args(argv)
    summary = Summary()
    archive, tool = Git(args.archive), Git(args.vesc_tool)
    firmware = archive_records(archive, summary)
    known = {r["sha256"] for r in firmware}
    records = firmware + tool_firmware_records(tool, known, summary) + bootloader_records(tool, summary)
    sources = {"vesc_fw_archive": archive.head(), "vesc_tool": tool.head()}
    write(records, args.out, sources)
    summary.print(records)
    print(f"written: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
