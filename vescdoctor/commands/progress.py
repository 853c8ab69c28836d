"""The fix engine's events (fixes.execute.FixEvent: phase, progress, log) drawn on stderr for the CLI.

On a terminal: a Rich progress bar per phase with elapsed time, ETA and, when an event carries a byte count
(`total_bytes`), the rate. Not a terminal (a log file, CI, a pipe): plain lines, one per phase and one per quarter
done, never a carriage return. --quiet keeps only the phase lines; --verbose adds every log line the engine sends
(the default shows them too: they say what is being done to the board).
"""
from __future__ import annotations

import sys
import time

QUARTERS = (0.0, 0.25, 0.5, 0.75, 1.0)
PLAIN_EVERY = 2.0  # seconds between two plain progress lines of one run, 100% aside


class ConsoleProgress:
    """Callable on_event for execute_plan / read_backup / restore_backup. Call close() when the run ends."""

    def __init__(self, out=None, *, quiet: bool = False, force_terminal: bool | None = None,
                 phase_bytes: dict[str, int] | None = None):
        self.out = out or sys.stderr
        self.quiet = quiet
        self.phase_bytes = phase_bytes or {}  # phase -> bytes it moves, when known: the rate is shown
        tty = hasattr(self.out, "isatty") and self.out.isatty() if force_terminal is None else force_terminal
        self.progress = _rich_progress(self.out) if tty and not quiet else None
        self.task = None
        self.phase: str | None = None
        self.next_quarter = 0
        self.started = self.last_line = time.monotonic()

    def __call__(self, event) -> None:
        if event.kind == "phase":
            self._end()
            self._line(f"[{event.phase}] {event.message}" + (" - do not unplug" if event.writing else ""))
            self.phase = event.phase
        elif event.kind == "log":
            if not self.quiet:
                self._line(f"  {event.message}")
        elif event.kind == "progress" and event.fraction is not None:
            if event.phase != self.phase or self.task is None and self.next_quarter >= len(QUARTERS):
                self._end()
                self.phase = event.phase
            self._progress(event)

    def close(self) -> None:
        self._end()

    def _line(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.out, flush=True)

    def _progress(self, event) -> None:
        fraction = min(max(float(event.fraction), 0.0), 1.0)
        total = getattr(event, "total_bytes", None) or self.phase_bytes.get(event.phase)
        if self.progress is not None:
            if self.task is None:
                self.progress.start()
                self.task = self.progress.add_task(event.phase, total=total or 1.0)
            self.progress.update(self.task, completed=fraction * (total or 1.0))
            return
        if self.quiet:
            return
        # Plain lines: 100% always; a quarter only when it is news (2 s since the last line), so a log file shows a
        # slow backup moving without listing every sector's erase.
        now = time.monotonic()
        while self.next_quarter < len(QUARTERS) and fraction >= QUARTERS[self.next_quarter]:
            quarter = QUARTERS[self.next_quarter]
            self.next_quarter += 1
            if quarter == 1.0 or (quarter > 0 and now - self.last_line >= PLAIN_EVERY):
                took = now - self.started
                rate = f", {quarter * total / took / 1024:.0f} KiB/s" if total and took > 0.05 else ""
                print(f"  {event.phase:<8} {quarter * 100:3.0f}%  ({took:.1f} s{rate})", file=self.out, flush=True)
                self.last_line = now

    def _end(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.stop()
            self.progress.remove_task(self.task)
        self.task, self.phase, self.next_quarter = None, None, 0
        self.started = self.last_line = time.monotonic()


def _rich_progress(out):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=out, stderr=out is sys.stderr, highlight=False)
    return Progress(TextColumn("  {task.description:<8}"), BarColumn(bar_width=30), TaskProgressColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), _rate_column(),
                    console=console, transient=False, auto_refresh=True, refresh_per_second=8)


def _rate_column():
    """Rich's transfer-rate column, blank for a task with no byte count (total 1.0: only a fraction is known)."""
    from rich.progress import TransferSpeedColumn
    from rich.text import Text

    class Rate(TransferSpeedColumn):
        def render(self, task):
            return super().render(task) if task.total and task.total > 1 else Text("")

    return Rate()
