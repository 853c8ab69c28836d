"""The repair running: one progress bar per phase the plan's steps declare (fixes/steps/), fed by the fix engine's
typed events, a log, and a cancel button that is disabled (and says why) while the engine writes to the flash."""
from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, ProgressBar, Static

from ...fixes import execute
from ...fixes.events import EventKind, Phase, StopRequested
from ...fixes.steps import plan_phases as step_phases
from ..messages import FixCrashed, FixFinished, FixProgress
from ..widgets.wraplog import WrappingLog

# Phases with a bar: those that report a fraction (reset and the fresh look only log).
BARS = (Phase.BACKUP, Phase.UNLOCK, Phase.ERASE, Phase.PROGRAM, Phase.VERIFY)
WRITE_BARS = (Phase.ERASE, Phase.PROGRAM, Phase.VERIFY)  # one round per image written
CANCEL = "Cancel"
CANCEL_WRITING = "Writing: can't cancel now"
STOPPING = "Stopping..."


def plan_phases(plan: Any) -> tuple[str, ...]:
    """The bars to draw: the phases the plan's steps declare (all of them for a plan without steps)."""
    phases_of = getattr(plan, "phases_of", None)  # a plan over USB: its own steps (usbrepair/plan.py)
    phases = {p for name in plan.step_names for p in phases_of(name)} if phases_of else step_phases(plan.step_names)
    return tuple(p.value for p in BARS if p in phases) or tuple(p.value for p in BARS)


class FixScreen(Screen):
    def __init__(self, plan: Any) -> None:
        super().__init__(id="fix")
        self.plan = plan
        self.phases = plan_phases(plan)
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
            yield WrappingLog(id="fix-log")
        with Horizontal(classes="buttons"):
            yield Button(CANCEL, id="fix-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#fix-log", WrappingLog).border_title = "Log"
        self.run_fix()

    @work(thread=True, exclusive=True, group="fix")
    def run_fix(self) -> None:
        app = self.app
        env = app.wait_environment()
        if env is None:
            self.post_message(FixCrashed(app.env_error or "the board could not be opened"))
            return

        journal = app.journal

        usb = getattr(self.plan, "via", None) == "usb"

        def on_event(event: Any) -> None:
            if journal is not None:  # in this thread, as the engine goes: the record so far, whatever happens
                journal.event(event)
            self.post_message(FixProgress(event))
            # a safe point: the engine ends the plan here. Over USB only before the first write: once the firmware
            # has jumped into the bootloader, the copy runs on the chip whatever happens here, and its end is news.
            if app.stop_requested.is_set() and not getattr(event, "writing", False) and (
                    not usb or getattr(event, "phase", None) == Phase.BACKUP):
                raise StopRequested

        try:
            backup_dir = app.effective_backup_dir()
            backup_dir.mkdir(parents=True, exist_ok=True)
            if usb:  # as `fix --via usb` runs it (commands/fix_usb.py)
                from ...usbrepair.execute import execute_usb_plan

                outcome = execute_usb_plan(self.plan, env, on_event=on_event, backup_dir=backup_dir)
            else:
                outcome = execute.execute_plan(self.plan, env, on_event=on_event, backup_dir=backup_dir,
                                               answers=dict(app.session.answers),
                                               should_stop=app.stop_requested.is_set)
        except StopRequested:  # an engine that does not end the plan itself
            self.post_message(FixCrashed("stopped as you asked, between two writes; run vescdoctor again to finish"))
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
        if kind == EventKind.PHASES:
            return  # the bars were drawn from the plan's steps
        if kind == "phase" and phase:
            self.enter_phase(phase)
            if phase == "erase":  # a new write (the firmware after the bootloader): its bars start again
                for name in WRITE_BARS:
                    if name in self.phases:
                        self.query_one(f"#bar-{name}", ProgressBar).update(progress=0)
            self.show_status(phase, text)
            self.log_line(f"[{phase}] {text}" if text else f"[{phase}]")
        elif kind == "progress" and phase:
            if phase != self.phase:  # programming follows the erase without a phase event of its own
                self.enter_phase(phase)
            fraction = getattr(event, "fraction", None)
            self.show_status(phase, text, fraction)
            if phase in self.phases and fraction is not None:
                self.query_one(f"#bar-{phase}", ProgressBar).update(progress=max(0.0, min(1.0, fraction)) * 100)
        elif text:
            self.log_line(text)

    def enter_phase(self, phase: str) -> None:
        """`phase` begins: the one before it is complete."""
        if self.phase in self.phases and self.phase != phase:
            self.query_one(f"#bar-{self.phase}", ProgressBar).update(progress=100)
        self.phase = phase

    def show_status(self, phase: str, text: str, fraction: float | None = None) -> None:
        status = f"{phase}: {text}" if text else phase
        if fraction is not None:
            status += f" ({max(0.0, min(1.0, fraction)) * 100:.0f}%)"
        self.query_one("#fix-status", Static).update(status)

    def log_line(self, line: str) -> None:
        self.query_one("#fix-log", WrappingLog).write_line(line)

    def stop_asked(self, quit_after: bool) -> None:
        """The app asked the engine to stop (Cancel, or a quit): say so, and the button says it waits."""
        self.set_writing(self.app.writing)
        then = "then quit" if quit_after else "then show what was done"
        when = "after this write and its verify" if self.app.writing else "before the next step"
        if getattr(self.plan, "via", None) == "usb":  # no safe point over USB once it has begun (run_fix)
            when = "at the end of the repair over USB"
        self.log_line(f"Stop asked: stopping {when}, {then}.")

    def set_writing(self, writing: bool) -> None:
        self.app.writing = writing
        button = self.query_one("#fix-cancel", Button)
        stopping = self.app.stop_requested.is_set()
        button.disabled = writing or stopping
        label = CANCEL_WRITING if writing else (STOPPING if stopping else CANCEL)
        if str(button.label) != label:
            button.label = label
            button.refresh(layout=True)  # a label change alone keeps the old width: the longer one was cut off

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "fix-cancel" and not self.app.writing and not self.app.stop_requested.is_set():
            self.app.request_stop(quit_after=False)

    def on_fix_finished(self, message: FixFinished) -> None:
        if getattr(message.outcome, "ok", False):
            for phase in self.phases:
                bar = self.query_one(f"#bar-{phase}", ProgressBar)
                if bar.progress:
                    bar.update(progress=100)
        # after this screen's first refresh: switching away while its header still mounts crashes Textual's header
        self.call_after_refresh(self.app.fix_over, message.outcome, None)

    def on_fix_crashed(self, message: FixCrashed) -> None:
        self.call_after_refresh(self.app.fix_over, None, message.reason)
