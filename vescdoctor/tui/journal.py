"""What a repair has done so far, kept from the fix engine's events as they come.

The engine hands its actions and backups back only when it returns. A repair left mid-way (quit while writing, a
crash) still has a report to write: this running list says which plan steps started, which finished, which one was
cut short, and which backup files appeared in the backup directory meanwhile (read from their .json sidecars).
Once the engine's outcome arrives, that outcome is the record; this is the fallback.
"""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

from ..fixes.steps import STEPS

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _step_name(step: Any) -> str:
    return str(getattr(step, "name", None) or getattr(step, "step", None) or step)


class FixJournal:
    """Fed from the fix worker's thread (`event`), read from the UI (`actions`, `backups`): a lock keeps it whole."""

    def __init__(self, plan: Any, backup_dir: Path | None) -> None:
        self.steps = [_step_name(s) for s in getattr(plan, "steps", None) or ()]
        phases_of = getattr(plan, "phases_of", None) or (lambda name: STEPS[name].phases)  # over USB: its own steps
        self._starts = [phases_of(name)[0] for name in self.steps]  # the phase that starts each step
        self.backup_dir = Path(backup_dir) if backup_dir is not None else None
        self._before = self._sidecars()
        self._lock = threading.Lock()
        self._actions: list[dict] = []
        self._next = 0  # the index in self.steps the next starting phase is looked for from
        self._current: dict | None = None
        self._started = 0.0
        self._phase: str | None = None
        self.closed = False

    # -- fed from the engine's events -----------------------------------------------------------------------------
    def event(self, event: Any) -> None:
        kind = getattr(event, "kind", None)
        phase = getattr(event, "phase", None)
        with self._lock:
            if self.closed:
                return
            if kind == "phase" and phase:
                for i in range(self._next, len(self.steps)):
                    if self._starts[i] == phase:  # the phase that starts the step
                        self._finish_current()
                        self._current = {"step": self.steps[i], "ok": False, "detail": "started, not finished"}
                        self._actions.append(self._current)
                        self._started = time.monotonic()
                        self._next = i + 1
                        break
            if phase:
                self._phase = phase

    def _finish_current(self) -> None:
        if self._current is not None:
            self._current.update(ok=True, detail="done", seconds=round(time.monotonic() - self._started, 3))
            if self._current["step"] == "backup":
                files = [b["file"] for b in self.backups()]
                if files:
                    self._current["file"] = files[-1]
            self._current = None

    def interrupt(self, reason: str) -> None:
        """The repair stopped here (quit mid-write, an error): the running step failed; later events are ignored."""
        with self._lock:
            if self.closed:
                return
            if self._current is not None:
                where = f" during {self._phase}" if self._phase else ""
                self._current.update(ok=False, detail=f"interrupted{where}", error=reason,
                                     seconds=round(time.monotonic() - self._started, 3))
                self._current = None
            self.closed = True

    # -- read for the report --------------------------------------------------------------------------------------
    def actions(self) -> list[dict]:
        with self._lock:
            return [dict(a) for a in self._actions]

    def backups(self) -> list[dict]:
        """The backups that appeared in the backup directory since the repair started (file, sha256, size)."""
        out = []
        for sidecar in sorted(self._sidecars() - self._before):
            try:
                meta = json.loads(sidecar.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            image = sidecar.with_suffix(".bin")
            if not isinstance(meta, dict) or not _SHA256.match(str(meta.get("sha256", ""))) or not image.is_file():
                continue
            entry = {"file": str(image), "sha256": meta["sha256"]}
            if isinstance(meta.get("size"), int):
                entry["size"] = meta["size"]
            out.append(entry)
        return out

    def _sidecars(self) -> set[Path]:
        if self.backup_dir is None or not self.backup_dir.is_dir():
            return set()
        try:
            return set(self.backup_dir.glob("*.json"))
        except OSError:
            return set()
