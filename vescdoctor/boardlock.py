"""One vescdoctor command per board (shared/spec/cli.md, "More"; issue 12, item 13).

A board is a simulated board directory or a real debug probe (by its unique id). A command that talks to it holds a
lock file for its whole run: `<board dir>/.vescdoctor.lock`, or `<user cache dir>/locks/probe-<uid>.lock`. The file
is created with O_CREAT|O_EXCL (atomic on every platform and on network file systems that honour it) and holds the
holder's pid, host, command and start time, so a second command is refused before it touches the chip (exit 3)
naming the holder. A lock whose process is gone (same host, pid not running: psutil, portable) or that was left
half-written is stale and taken over; the take-over itself is serialised by a second O_EXCL file, so two commands
that find the same stale lock cannot both take it. Released on every exit path (a context manager; the lock is
removed only while it is still ours).
"""
from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import Inconclusive

LOCK_NAME = ".vescdoctor.lock"
HALF_WRITTEN_SECONDS = 10.0  # a lock file without a readable holder this old was left by a crash mid-create
MAX_LOCK_BYTES = 4096


class BoardBusy(Inconclusive):
    """Another command holds the board (exit 3: the user must wait or stop it first)."""


@dataclass
class Holder:
    pid: int | None
    host: str | None
    command: str | None
    started: str | None
    token: str | None

    def describe(self) -> str:
        what = f"`vescdoctor {self.command}`" if self.command else "another vescdoctor command"
        where = f"pid {self.pid}" + (f" on {self.host}" if self.host else "") if self.pid else "an unknown process"
        since = f", since {self.started}" if self.started else ""
        return f"{what} ({where}{since})"


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.pid_exists(pid)
    except Exception:  # noqa: BLE001 - when in doubt the holder is alive: refusing is safe, taking over is not
        return True


def _read(path: Path) -> Holder | None:
    """The holder a lock file names; None when it cannot be read (gone, or half-written)."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read(MAX_LOCK_BYTES))
        if not isinstance(doc, dict):
            return None
        pid = doc.get("pid")
        return Holder(pid if isinstance(pid, int) else None, *(str(doc[k]) if doc.get(k) is not None else None
                                                                for k in ("host", "command", "started", "token")))
    except (OSError, ValueError):
        return None


def _stale(path: Path, holder: Holder | None) -> bool:
    if holder is None:
        try:
            return time.time() - path.stat().st_mtime > HALF_WRITTEN_SECONDS
        except OSError:
            return False  # gone meanwhile: the next create decides
    return holder.host == socket.gethostname() and holder.pid is not None and holder.pid != os.getpid() \
        and not _alive(holder.pid)


class BoardLock:
    def __init__(self, path: Path, what: str, command: str):
        self.path, self.what, self.command = Path(path), what, command
        self.token = uuid.uuid4().hex
        self.held = False

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o644)
        except FileExistsError:
            return False
        doc = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
               "started": time.strftime("%Y-%m-%d %H:%M:%S"), "token": self.token}
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc))
            f.flush()
            os.fsync(f.fileno())
        return True

    def _take_over(self, seen: Holder | None) -> None:
        """Remove a stale lock, if it is still the one judged stale; one taker at a time."""
        guard = self.path.with_name(self.path.name + ".takeover")
        try:
            fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:  # a taker that died mid-way leaves its guard: old ones are removed, the next try goes on
                if time.time() - guard.stat().st_mtime > HALF_WRITTEN_SECONDS:
                    guard.unlink()
            except OSError:
                pass
            return
        os.close(fd)
        try:
            now = _read(self.path)
            if (now is None and seen is None) or (now is not None and seen is not None and now.token == seen.token):
                self.path.unlink(missing_ok=True)
        finally:
            guard.unlink(missing_ok=True)

    def acquire(self) -> None:
        for _ in range(5):
            if self._create():
                self.held = True
                return
            holder = _read(self.path)
            if not _stale(self.path, holder):
                if holder is None:
                    time.sleep(0.05)  # being written right now: look again
                    continue
                raise BoardBusy(f"{self.what} is in use by {holder.describe()}: one vescdoctor command per board; "
                                "wait for it to end (nothing was done here). If that process is gone, remove "
                                f"{self.path}")
            self._take_over(holder)
        holder = _read(self.path)
        raise BoardBusy(f"{self.what} is in use by {holder.describe() if holder else 'another command'} "
                        f"(lock {self.path}); nothing was done")

    def release(self) -> None:
        if self.held:
            self.held = False
            holder = _read(self.path)
            if holder is not None and holder.token == self.token:
                self.path.unlink(missing_ok=True)


def sim_lock_path(board_dir: str | Path) -> Path:
    return Path(board_dir).resolve() / LOCK_NAME


def probe_lock_path(uid: str) -> Path:
    from platformdirs import user_cache_dir

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", uid)[:120]  # probe ids hold ':' (stlink:...), not allowed on Windows
    directory = Path(user_cache_dir("vescdoctor")) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"probe-{safe}.lock"


def _only_probe_uid() -> str | None:
    """The unique id of the one debug probe connected, without opening it; None with none or several (pyOCD then
    refuses to choose, so nothing is touched)."""
    try:
        from pyocd.core.helpers import ConnectHelper

        probes = ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False)
    except Exception:  # noqa: BLE001 - no USB access: the session says so in its own words
        return None
    return probes[0].unique_id if len(probes) == 1 else None


@contextmanager
def board_lock(*, sim: str | None, probe: str | None, command: str) -> Iterator[BoardLock | None]:
    """Hold the lock of the board a command uses for the `with` block. A missing sim directory is left to the
    loader (its own message); real hardware with no single probe takes no lock (nothing can be touched)."""
    if sim is not None:
        if not Path(sim).is_dir():
            yield None
            return
        lock = BoardLock(sim_lock_path(sim), f"the simulated board {sim}", command)
    else:
        uid = probe or _only_probe_uid()
        if uid is None:
            yield None
            return
        lock = BoardLock(probe_lock_path(uid), f"the debug probe {uid}", command)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
