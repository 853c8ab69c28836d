"""The repair running: one progress bar per phase fed by the fix engine's events, a log, and a cancel button that is
disabled (and says why) while the engine writes to the flash."""
from __future__ import annotations

import threading
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, ProgressBar, RichLog, Static

from ..messages import FixCrashed, FixFinished, FixProgress

BARS = ("backup", "unlock", "erase", "program", "verify")
OTHER = ("reset", "reprobe")
CANCEL = "Cancel"
CANCEL_WRITING = "Writing: can't cancel now"


class FixCancelled(Exception):
    """Raised from the event callback when the user cancelled between writes."""


def plan_phases(plan: Any) -> tuple[str, ...]:
    """The bars to draw: the phases the plan's steps go through (all of them when the steps don't say)."""
    names = [str(getattr(s, "name", None) or getattr(s, "step", None) or s).lower()
             for s in getattr(plan, "steps", None) or ()]
    found = {"backup"} if any("backup" in n for n in names) else set()
    if any("unlock" in n or "rdp" in n or "wrp" in n for n in names):
        found.add("unlock")
    if any("write" in n or "restore" in n or "program" in n for n in names):
        found.update(("erase", "program", "verify"))
    return tuple(p for p in BARS if p in found) or BARS


class FixScreen(Screen):
    def __init__(self, plan: Any) -> None:
        super().__init__(id="fix")
        self.plan = plan
        self.phases = plan_phases(plan)
        self.cancel_requested = threading.Event()
        self.phase: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="fix-body"):
            yield Static("Keep the battery connected and don't unplug anything until the end.", id="fix-warning")
            yield Static("Starting ...", id="fix-status")
            for phase in self.phases:
                with Horizontal(classes="phase", id=f"row-{phase}"):
                    yield Label(phase, classes="phase-name")
                    yield ProgressBar(total=100, show_eta=False, id=f"bar-{phase}")
            yield RichLog(id="fix-log", wrap=True, markup=False, highlight=False, min_width=20)
        with Horizontal(classes="buttons"):
            yield Button(CANCEL, id="fix-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#fix-log", RichLog).border_title = "Log"
        self.run_fix()

    @work(thread=True, exclusive=True, group="fix")
    def run_fix(self) -> None:
        app = self.app
        env = app.wait_environment()
        if env is None:
            self.post_message(FixCrashed(app.env_error or "the board could not be opened"))
            return

        def on_event(event: Any) -> None:
            self.post_message(FixProgress(event))
            if self.cancel_requested.is_set() and not getattr(event, "writing", False):
                raise FixCancelled("cancelled by the user before the next write")

        try:
            from ..app import fix_api

            execute_plan = fix_api("execute_plan")

            backup_dir = app.effective_backup_dir()
            backup_dir.mkdir(parents=True, exist_ok=True)
            outcome = execute_plan(self.plan, env, on_event=on_event, backup_dir=backup_dir,
                                   answers=dict(app.session.answers))
        except FixCancelled as exc:
            self.post_message(FixCrashed(str(exc)))
            return
        except Exception as exc:
            reason = str(getattr(exc, "message", None) or exc) or type(exc).__name__
            self.post_message(FixCrashed(reason))
            return
        self.post_message(FixFinished(outcome))

    def on_fix_progress(self, message: FixProgress) -> None:
        event = message.event
        kind = getattr(event, "kind", "log")
        phase = getattr(event, "phase", None)
        text = getattr(event, "message", "") or ""
        self.set_writing(bool(getattr(event, "writing", False)))
        if kind == "phase" and phase:
            if self.phase in self.phases and self.phase != phase:
                self.query_one(f"#bar-{self.phase}", ProgressBar).update(progress=100)
            self.phase = phase
            self.query_one("#fix-status", Static).update(f"{phase}: {text}" if text else phase)
            self.log_line(f"[{phase}] {text}" if text else f"[{phase}]")
        elif kind == "progress" and phase in self.phases:
            fraction = getattr(event, "fraction", None)
            if fraction is not None:
                self.query_one(f"#bar-{phase}", ProgressBar).update(progress=max(0.0, min(1.0, fraction)) * 100)
        elif text:
            self.log_line(text)

    def log_line(self, line: str) -> None:
        self.query_one("#fix-log", RichLog).write(line)

    def set_writing(self, writing: bool) -> None:
        self.app.writing = writing
        button = self.query_one("#fix-cancel", Button)
        button.disabled = writing or self.cancel_requested.is_set()
        button.label = CANCEL_WRITING if writing else ("Cancelling..." if self.cancel_requested.is_set() else CANCEL)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "fix-cancel" and not self.app.writing:
            self.cancel_requested.set()
            self.set_writing(False)
            self.log_line("Cancel asked: stopping before the next write.")

    def on_fix_finished(self, message: FixFinished) -> None:
        if getattr(message.outcome, "ok", False):
            for phase in self.phases:
                bar = self.query_one(f"#bar-{phase}", ProgressBar)
                if bar.progress:
                    bar.update(progress=100)
        self.app.fix_over(message.outcome, None)

    def on_fix_crashed(self, message: FixCrashed) -> None:
        self.app.fix_over(None, message.reason)
