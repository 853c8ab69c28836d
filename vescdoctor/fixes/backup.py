"""Backups: the whole flash (1 MiB raw .bin) plus a JSON sidecar; never overwriting an earlier one. Restore.

Sidecar (`<name>.json`): {"format": "vescdoctor-backup", "version": 1, "file", "sha256", "size", "base",
"created", "tool_version", "board_uid", "idcode", "option_bytes": {"optcr", "rdp", "rdp_level", "wrp_sectors",
"bor_level"}, "verdict", "contents": {"generation", "sectors": [{"number", "role", "state", "detail"}]}}: what each
sector held when the backup was taken, in the flash map of the firmware generation found in it
(vescdoctor.flash_analysis).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import FixError, InputError
from ..fileguard import note_backup
from ..knowledge.flash import FLASH_BASE, FLASH_SIZE, SECTORS
from .events import FixEvent, Phase

SIDECAR_FORMAT = "vescdoctor-backup"
LOG = logging.getLogger(__name__)


def default_backup_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("vescdoctor")) / "backups"


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (never replacing an existing file), fsync'd."""
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def check_backup_dir(directory, what: str = "the backup directory") -> Path:
    """Create `directory` when needed and make sure a backup can be written in it, before the board is touched:
    InputError (one line, exit 2) when it cannot be."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"{what} is a file, not a directory", str(directory)) from None
    except OSError as exc:
        raise InputError(f"{what} cannot be created: {exc.strerror or exc}", str(directory)) from None
    if not directory.is_dir():
        raise InputError(f"{what} is not a directory", str(directory))
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise InputError(f"{what} is not writable: {exc.strerror or exc}", str(directory)) from None
    return directory


def board_tag(uid: str | None) -> str:
    """A short name for a board in file names: a hash of its UID, so a backup's name tells boards apart without
    publishing the UID itself (reports shorten the UID; file names end up in them)."""
    return hashlib.sha256(uid.encode()).hexdigest()[:8] if uid else "unknown"


def unique_backup_path(directory: Path, uid: str | None, when: datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"vesc-{board_tag(uid)}-{when.strftime('%Y%m%d-%H%M%S')}"
    for i in range(1000):
        path = directory / (stem + (f"-{i}" if i else "") + ".bin")
        if not path.exists() and not path.with_suffix(".json").exists():
            return path
    raise FixError(f"no free backup name in {directory}")


def chronological(paths) -> list[Path]:
    """Backup files oldest first. Their names sort by time except within one second, where the second backup is
    `STEM-1.bin` and a plain name sort puts it before `STEM.bin` ('-' < '.')."""
    def key(path: Path) -> tuple[str, int]:
        stem, _, seq = path.stem.rpartition("-")
        # vesc-TAG-YYYYMMDD-HHMMSS[-N]: a sequence number is a short suffix after the six-digit time
        if stem.count("-") == 3 and seq.isdigit() and len(seq) < 4:
            return stem, int(seq)
        return path.stem, 0
    return sorted(paths, key=key)


HW_SOURCE_WORDS = {"answer": "your answer", "vesc": "the VESC's reply", "flash": "the firmware in flash"}


def hw_from_backups(directory: Path, uid: str | None
                    ) -> tuple[tuple[str, str, str] | None, tuple[str, str, str] | None]:
    """What this board's own earlier fix backups tell of its HW, newest first, as (strong, hint), each (name, source
    in words, kind) or None. Strong: a HW a fix recorded with a strong source (`board_hw_source`: answer, vesc,
    flash); kind is that source. Hint (kind "backup"): the firmware (or the update in the buffer) a backup holds,
    which shows what was installed, not the board. Sidecars without a verdict (`vescdoctor backup`, a restore's
    safety backup) are skipped, as are backups of wrong-hardware firmware. After a fix was cut short the app may be
    gone from the chip, but the HW the fix recorded is not."""
    from ..flash_analysis import BytesReader, analyze

    if not uid or not directory.is_dir():
        return None, None
    hint = None
    for sidecar in reversed(chronological(directory.glob(f"vesc-{board_tag(uid)}-*.json"))):
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            image = sidecar.with_suffix(".bin")
            if not isinstance(meta, dict) or meta.get("board_uid") != uid or not meta.get("verdict") \
                    or image.stat().st_size != FLASH_SIZE:
                continue
        except (OSError, ValueError):
            continue
        recorded, source = meta.get("board_hw"), meta.get("board_hw_source")
        if isinstance(recorded, str) and recorded and source in HW_SOURCE_WORDS:
            return (recorded, f"the board's hardware recorded with your backup {image.name} (from "
                              f"{HW_SOURCE_WORDS[source]})", source), None
        if hint is not None or meta.get("verdict") == "wrong-hardware-firmware":
            continue  # that firmware was built for other hardware: it does not tell this board's
        try:
            flash = image.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(flash).hexdigest() != meta.get("sha256"):
            continue
        fmap = analyze(BytesReader(flash))
        hw = fmap.app.hw or fmap.buffer.hw
        if hw:
            hint = (hw, f"the firmware in your backup {image.name}", "backup")
    return None, hint


AUTO_NAME = re.compile(r"^vesc-[0-9a-z]+-\d{8}-\d{6}(-\d+)?$")  # the names unique_backup_path gives


def save_backup(flash: bytes, path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write flash + sidecar at `path` (must not exist). Returns {file, sha256, size, sidecar}.

    Both are written in full under temporary names first, then put in place without replacing anything: the
    sidecar, then the .bin. A run cut short (a full disk, power, Ctrl+C) leaves no `.bin` without its sidecar, so a
    partial backup never looks like one. A name vescdoctor chose that another run took meanwhile (two identical
    fixes in the same second) moves on to the next free one; a name the user chose is refused."""
    sha = hashlib.sha256(flash).hexdigest()
    if (path.exists() or path.with_suffix(".json").exists()) and not AUTO_NAME.match(path.stem):
        raise InputError("a backup with this name exists already; backups are never overwritten", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": SIDECAR_FORMAT, "version": 1, "file": path.name, "sha256": sha, "size": len(flash),
           "base": FLASH_BASE, "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "tool_version": __version__, **meta}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        _write_new(tmp, flash)
        for candidate in _candidates(path):
            doc["file"] = candidate.name
            if _place(tmp, candidate, (json.dumps(doc, indent=2) + "\n").encode()):
                path = candidate
                break
        else:
            raise InputError("a backup with this name exists already; backups are never overwritten", str(path))
    except OSError as exc:
        raise FixError(f"cannot write the backup {path}: {exc.strerror or exc}; no backup was kept") from None
    finally:
        tmp.unlink(missing_ok=True)
    sidecar = path.with_suffix(".json")
    note_backup(path)
    note_backup(sidecar)
    return {"file": str(path), "sha256": sha, "size": len(flash), "sidecar": str(sidecar)}


def _candidates(path: Path):
    yield path
    if AUTO_NAME.match(path.stem):
        stem = re.sub(r"-\d+$", "", path.stem) if path.stem.count("-") == 4 else path.stem
        for i in range(1, 1000):
            yield path.with_name(f"{stem}-{i}.bin")


def _link_new(source: Path, target: Path) -> bool:
    """Give `source`'s bytes the name `target` if that name is free (atomic). False when it is taken."""
    try:
        os.link(source, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links (FAT): claim the name, then move the file over the claim
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            return False
        os.replace(source, target)
        return True


def _place(tmp_bin: Path, path: Path, sidecar_bytes: bytes) -> bool:
    """Put a fully written backup in place at `path`: its sidecar first, then the .bin. False if the name is taken
    (nothing left behind)."""
    sidecar = path.with_suffix(".json")
    tmp_json = path.with_name(f".{sidecar.name}.{os.getpid()}.partial")
    claimed = False
    try:
        _write_new(tmp_json, sidecar_bytes)
        if not _link_new(tmp_json, sidecar):
            return False
        claimed = True
        if path.exists() or not _link_new(tmp_bin, path):
            return False
        claimed = False  # placed: the backup is whole
        return True
    finally:
        if claimed:  # the sidecar is ours but its .bin could not follow: take it back
            sidecar.unlink(missing_ok=True)
        tmp_json.unlink(missing_ok=True)


def chip_meta(target) -> dict[str, Any]:
    from ..target.chip_id import read_chip_identity
    from ..target.option_bytes import read_option_bytes

    ident = read_chip_identity(target)
    ob = read_option_bytes(target)
    return {"board_uid": ident.uid_hex, "idcode": ident.idcode,
            "option_bytes": {"optcr": ob.optcr, "rdp": ob.rdp, "rdp_level": ob.rdp_level,
                             "wrp_sectors": list(ob.wrp_sectors), "bor_level": ob.bor_level}}


def backup_target(target, path: Path, *, verdict: str | None = None, board_hw: str | None = None,
                  board_hw_source: str | None = None, progress: Callable[[float], None] | None = None,
                  may_run_code: bool = False, known: dict[int, bytes] | None = None) -> dict[str, Any]:
    """Read the whole flash of a connected target into a new backup at `path`. `board_hw`, when the fix knows it
    from a strong source (`board_hw_source`: answer, vesc, flash), goes into the sidecar with that source: a later
    run may need it once the chip no longer shows it. A HW without a strong source is not recorded.
    The flash is read once and proven by the chip's own CRCs when the caller lets code run on the halted core
    (`may_run_code`: a fix, which resets afterwards), else read twice (target.flash_reader.read_proven); blocks in
    `known` (what the fix's diagnosis read) that the chip's CRCs confirm are not read again."""
    from pyocd.core import exceptions

    from ..target.flash_reader import read_proven
    from .flashops import read_range

    meta = chip_meta(target)
    if meta["option_bytes"]["rdp_level"] != 0:
        raise FixError("the flash is read-protected (RDP level 1): no backup is possible")
    done = [0]

    def read(addr: int, size: int) -> bytes:
        start = done[0]
        data = read_range(target, addr, size,
                          (lambda f: progress(min(1.0, (start + f * size) / FLASH_SIZE))) if progress else None)
        done[0] += size
        return data
    try:
        flash = read_proven(target, FLASH_BASE, FLASH_SIZE, read, chip_ok=may_run_code, known=known)
    except exceptions.TransferFaultError:
        raise
    except exceptions.TransferError as exc:
        raise FixError(f"{exc} (shorter wires?)") from exc
    meta["verdict"] = verdict
    meta["contents"] = backup_contents(flash)
    if board_hw and board_hw_source in HW_SOURCE_WORDS:
        meta["board_hw"], meta["board_hw_source"] = board_hw, board_hw_source
    return save_backup(flash, path, meta)


def backup_contents(flash: bytes) -> dict[str, Any]:
    """What a whole-flash backup holds, sector by sector, in its firmware generation's flash map (LispBM, QML and
    package data are the rider's too: a restore puts them back with the configuration)."""
    from ..flash_analysis import BytesReader, analyze

    fmap = analyze(BytesReader(flash))
    return {"generation": fmap.generation.key if fmap.generation else None,
            "sectors": [{"number": s.number, "role": s.role, "state": s.state, "detail": s.detail}
                        for s in fmap.sectors]}


def _connect(env):
    link = env.swd
    if not link.connected and not link.connect():
        from ..errors import Inconclusive

        why = link.probe_error or (link.attempts[-1].error if link.attempts else "no answer")
        raise Inconclusive(f"the chip could not be reached over SWD: {why}")
    return link


def backup_destination(out_path) -> tuple[Path | None, Path | None]:
    """Where `vescdoctor backup OUT` writes, checked before the board is touched (InputError, one line):
    (the file, None) for a file name (`.bin` added when missing; never an existing one), or (None, the folder) when
    OUT is an existing folder: the backup goes inside it under the name a fix's backup gets."""
    out = Path(out_path)
    if out.is_dir():
        return None, check_backup_dir(out, "the backup folder")
    if out.suffix.lower() != ".bin":
        out = out.with_name(out.name + ".bin")
    if out.exists() or out.with_suffix(".json").exists():
        raise InputError("exists already; backups are never overwritten (choose another name)", str(out))
    check_backup_dir(out.parent, "the backup's folder")
    return out, None


def read_backup(env, out_path, *, on_event: Callable | None = None) -> dict[str, Any]:
    """`vescdoctor backup OUT`: the whole flash and option bytes into OUT (+ OUT.json), or into a new file in OUT
    when OUT is a folder. Never overwrites."""
    out, directory = backup_destination(out_path)
    link = _connect(env)
    if out is None:  # a folder: the name a fix's backup gets
        out = unique_backup_path(directory or Path("."), chip_meta(link.target)["board_uid"], datetime.now())
    emit = on_event or (lambda e: None)
    emit(FixEvent.start(Phase.BACKUP, "reading the whole flash (1 MiB)", False, 0.0))
    # Nothing can run behind an erased vector table: halting is harmless there, and the chip's CRCs then prove one
    # read (erased blocks not read at all), as the flash map does. A chip with firmware is only read (twice).
    target = link.target
    may_run_code = bytes(target.read_memory_block8(FLASH_BASE, 8)) == b"\xff" * 8
    if may_run_code:
        target.halt()
    info = backup_target(target, out, progress=lambda f: emit(FixEvent.progress(Phase.BACKUP, f, "reading", False)),
                         may_run_code=may_run_code)
    emit(FixEvent.progress(Phase.BACKUP, 1.0, f"backup written to {info['file']}", False))
    return info


def load_backup(path) -> tuple[bytes, dict[str, Any]]:
    """A backup and its sidecar, both checked: 1 MiB, a vescdoctor sidecar beside it with the board UID, and the
    sha256 the sidecar records. Without a valid sidecar nothing says the file is a backup, or of which board."""
    from ..safeio import read_bounded

    path = Path(path)
    data = read_bounded(path, FLASH_SIZE, "a whole-flash backup (1 MiB .bin)")
    if len(data) != FLASH_SIZE:
        raise InputError(f"not a vescdoctor backup: {len(data)} bytes, a whole-flash backup has {FLASH_SIZE}",
                         str(path))
    sidecar = path.with_suffix(".json")

    def refuse(why: str) -> InputError:
        return InputError(f"refused: its sidecar {sidecar.name} is missing or invalid ({why}); only a vescdoctor "
                          "backup with its sidecar (sha256, board UID) is written back", str(path))
    if not sidecar.is_file():
        raise refuse("there is none")
    try:
        meta = json.loads(read_bounded(sidecar, 1024 * 1024, "a backup sidecar (JSON)"))
    except InputError as exc:
        raise refuse(exc.message) from None
    except ValueError:
        raise refuse("not readable JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT:
        raise refuse("not a vescdoctor backup sidecar")
    if not isinstance(meta.get("board_uid"), str) or not meta["board_uid"]:
        raise refuse("no board UID")
    if meta.get("sha256") != hashlib.sha256(data).hexdigest():
        raise InputError("the backup's sha256 does not match its sidecar: the file changed", str(path))
    return data, meta


def restore_backup(env, backup_path, config_only: bool = False, on_event: Callable | None = None,
                   backup_dir: Path | None = None) -> dict[str, Any]:
    """Write a backup back (all of it, or only the config sectors 1-2), verify it. The flash as it is now is
    backed up first (into `backup_dir`, default the user data directory). Refuses a file without a valid sidecar
    and a backup of another board (UID in the sidecar)."""
    data, meta = load_backup(backup_path)
    directory = check_backup_dir(backup_dir or default_backup_dir(), "the backup directory for the safety backup")
    emit = on_event or (lambda e: None)
    link = _connect(env)
    target = link.target
    now = chip_meta(target)
    if meta["board_uid"] != now["board_uid"]:
        raise InputError(f"this backup is of another board (UID {meta['board_uid'][:8]}..., this board "
                         f"{now['board_uid'][:8]}...)", str(backup_path))
    if now["option_bytes"]["rdp_level"] != 0:
        raise FixError("the chip is read-protected (RDP 1): run `vescdoctor fix` to lift it first")
    sectors = [SECTORS[1], SECTORS[2]] if config_only else list(SECTORS)
    blocked = set(now["option_bytes"]["wrp_sectors"]) & {s.number for s in sectors}
    if blocked:
        raise FixError(f"sector(s) {', '.join(map(str, sorted(blocked)))} are write-protected: run `vescdoctor "
                       "fix` to clear it first")
    emit(FixEvent.start(Phase.BACKUP, "backing up the flash as it is now", False, 0.0))
    # The restore halts the core to write and resets it at the end: the safety backup may run pyOCD's CRC analyzer
    # on the halted core and is read once, proven by the chip's CRCs (not read twice).
    from .retry import reset_and_halt  # retry imports this module

    reset_and_halt(target)
    safety = backup_target(target, unique_backup_path(directory, now["board_uid"], datetime.now()),
                           progress=lambda f: emit(FixEvent.progress(Phase.BACKUP, f, "reading", False)),
                           may_run_code=True)
    segments = [(s.address, data[s.address - FLASH_BASE:s.end - FLASH_BASE]) for s in sectors]
    _write_back(target, segments, emit, safety["file"])
    emit(FixEvent.start(Phase.RESET, "resetting the chip", False))
    try:
        target.reset()
    except Exception as exc:  # noqa: BLE001 - written and verified: a reset that loses the link changes nothing
        LOG.debug("reset after the restore: %s", exc)
    return {"restored": "config sectors 1-2" if config_only else "whole flash", "from": str(backup_path),
            "safety_backup": safety}


def _write_back(target, segments: list[tuple[int, bytes]], emit: Callable[[FixEvent], None], safety: str) -> None:
    """Erase, program and verify the restored sectors, vector tables last; a failure is one line naming the safety
    backup."""
    from .failures import describe_failure
    from .flashops import write_verified

    phase = "erase"

    def at(name: str, event: FixEvent) -> None:
        nonlocal phase
        phase = name
        emit(event)
    try:
        # write_verified writes the first page of each image it holds (sectors 0 and 11) last, its SP word last
        from .retry import reset_and_halt  # retry imports this module

        reset_and_halt(target)
        emit(FixEvent.start(Phase.ERASE, "erasing the sectors that differ", True, 0.0))
        write_verified(target, segments, "restore",
                       on_erase=lambda f: emit(FixEvent.progress(Phase.ERASE, f, "erasing", True)),
                       on_program=lambda f: at("program", FixEvent.progress(Phase.PROGRAM, f, "programming", True)),
                       on_verify=lambda f: at("verify", FixEvent.progress(Phase.VERIFY, f, "verifying every byte",
                                                                         True)),
                       on_vector_page=lambda: at("vector tables", FixEvent.log(
                           Phase.PROGRAM, "verified; writing the vector tables last", True)))
    except Exception as exc:  # noqa: BLE001 - one line that names the safety backup, as a fix's failure does
        LOG.debug("restore failed in %s", phase, exc_info=True)
        raise FixError(f"restore did not complete ({phase}): {describe_failure(exc)}; the flash as it was before "
                       f"the restore is in {safety}; run `vescdoctor restore` again") from None
