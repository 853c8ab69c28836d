"""What a repair over USB is doing, on disk beside the backups, so an interrupted run is recognised by the next one.

Over USB nothing can be read back: a bootloader upload cut off halfway leaves a torn sector 11 that no question to
the firmware shows, and a power loss while the bootloader copies leaves no firmware to ask. The journal says which
step was under way; it is removed when the repair ends well.
File: <backup dir>/usb-repair-<board tag>.json, {"format": "vescdoctor-usb-journal", "version": 1, "step",
"board_uid", "fw_version", "images": [{what, file, sha256}], "when"}.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..fixes.backup import board_tag
from ..fixes.records import ImageRecord

FORMAT = "vescdoctor-usb-journal"
MAX_BYTES = 64 * 1024
STEP_WORDS = {
    "usb-write-bootloader": "installing the bootloader over USB (sector 11 may be torn)",
    "usb-update-firmware": "writing the update into the buffer",
    "bootloader-copy": "the bootloader copying the update into the application sectors",
}


def journal_path(backup_dir: Path, uid: str | None) -> Path:
    return Path(backup_dir) / f"usb-repair-{board_tag(uid)}.json"


def begin(backup_dir: Path, uid: str | None, step: str, fw_version: str | None,
          images: list[ImageRecord]) -> Path:
    path = journal_path(backup_dir, uid)
    doc = {"format": FORMAT, "version": 1, "step": step, "board_uid": uid, "fw_version": fw_version,
           "images": [{"what": i.what, "file": i.file, "sha256": i.sha256} for i in images],
           "when": datetime.now().isoformat(timespec="seconds")}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(path)
    return path


def finish(backup_dir: Path, uid: str | None) -> None:
    journal_path(backup_dir, uid).unlink(missing_ok=True)


def _read(path: Path) -> dict | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT and doc.get("step") in STEP_WORDS else None


def pending(backup_dir: Path, uid: str | None = None) -> dict | None:
    """The journal of an unfinished repair: this board's, or (uid None: the board cannot be asked) the newest."""
    if uid is not None:
        return _read(journal_path(backup_dir, uid))
    try:
        paths = sorted(Path(backup_dir).glob("usb-repair-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return None
    for path in paths:
        doc = _read(path)
        if doc is not None:
            return doc
    return None


def describe(doc: dict) -> str:
    return f"a repair over USB was interrupted while {STEP_WORDS[doc['step']]} ({doc.get('when', '?')})"


def swd_only_steps(doc: dict) -> list[str]:
    """What to do when the interrupted repair left no firmware to talk to over USB."""
    files = {i.get("what"): i.get("file") for i in doc.get("images") or [] if isinstance(i, dict)}
    args = " ".join(f"--{what} {files[what]}" for what in ("bootloader", "firmware") if files.get(what))
    return ["The application is gone, so USB cannot go on: only SWD can. Connect an ST-Link (or CMSIS-DAP) to the "
            "VESC's SWD header (see README: wiring) and power the board.",
            f"Then run: vescdoctor fix --via swd {args or '--bootloader BL.bin --firmware FW.bin'} --answer "
            f"hw=YOUR_HW"]
