"""No file a user did not choose is overwritten (issue 12, item 3).

An output (a report, `report show --output`) may replace an existing file only when this run wrote it, or when the
user says so with --force; never, even with --force, when that file is an input of this run (an image, a report, a
backup being restored: safeio notes every file it reads), a vescdoctor backup or its sidecar, or a simulated board's
own files (flash.bin, board.yaml). Files are compared by identity (device and inode), so a symlink or a hard link to
a protected file is the protected file. Refusals are InputError (exit 2), before anything is written.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import InputError

BOARD_FILES = ("flash.bin", "board.yaml")  # sim/board.py's BOARD_FILE and FLASH_FILE
Identity = tuple[int, int, int, int]
_inputs: set[Identity] = set()
_created: set[Identity] = set()
_backups: set[Identity] = set()
backups_made: list[Path] = []  # the backups this process wrote, in order: Ctrl+C names them (cli.py)


def _identity(path: Path) -> Identity | None:
    """The file itself (device, inode), as it was (mtime, size): a link to it is it; a file that took a deleted
    file's inode, or that changed since, is not."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


def new_run() -> None:
    """Forget what an earlier run in this process read and wrote (cli.main calls it: one command, one run)."""
    for registry in (_inputs, _created, _backups):
        registry.clear()
    backups_made.clear()


def note_input(path: Path) -> None:
    if (ident := _identity(path)) is not None:
        _inputs.add(ident)


def note_created(path: Path) -> None:
    if (ident := _identity(path)) is not None:
        _created.add(ident)


def note_backup(path: Path) -> None:
    if (ident := _identity(path)) is not None:
        _backups.add(ident)
        if path.suffix.lower() == ".bin":
            backups_made.append(path)


def _is_backup(path: Path) -> bool:
    """A vescdoctor backup (.bin with its sidecar) or a backup sidecar."""
    sidecar = path if path.suffix.lower() == ".json" else path.with_suffix(".json")
    if path.suffix.lower() not in (".bin", ".json"):
        return False
    try:
        if not sidecar.is_file() or sidecar.stat().st_size > 64 * 1024:
            return False
        return json.loads(sidecar.read_text(encoding="utf-8")).get("format") == "vescdoctor-backup"
    except (OSError, ValueError, AttributeError):
        return False


def protected_reason(path: Path) -> str | None:
    """Why `path` may never be overwritten, or None."""
    ident = _identity(path)
    real = Path(os.path.realpath(path))
    if ident in _backups or _is_backup(real):
        return "it is a vescdoctor backup"
    if real.name in BOARD_FILES and (real.parent / "board.yaml").is_file():
        return f"it is the simulated board's {real.name}"
    if ident in _inputs:
        return "it is an input of this command"
    return None


def claim_output(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Check that an output may be written at `path` (InputError otherwise); call again right before the write."""
    target = Path(path)
    if not (target.exists() or target.is_symlink()):
        return target
    if target.is_dir():
        raise InputError("cannot write: it is a directory", str(target))
    why = protected_reason(target)
    if why:
        raise InputError(f"refused: {why}; it is never overwritten, even with --force (nothing was written)",
                         str(target))
    if _identity(target) in _created or force:
        return target
    raise InputError("exists already and this command did not write it: choose another name, or pass --force to "
                     "replace it (nothing was written)", str(target))
