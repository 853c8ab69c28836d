"""The end: what the repair changed, the verdict after it, and the report."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from ...fixes.execute import FixOutcome
from ...report.text import action_state
from ..wording import outcome_text as outcome_words


def after_verdict(after: Any) -> str | None:
    """The verdict code of the re-diagnosis the fix engine made (a Diagnosis, a SessionResult, a report or a code)."""
    if after is None:
        return None
    if isinstance(after, str):
        return after
    if isinstance(after, dict):
        v = after.get("verdict")
        return v.get("code") if isinstance(v, dict) else v
    v = getattr(after, "verdict", None)
    if isinstance(v, str):
        return v
    return getattr(v, "code", None)


def outcome_text(outcome: Any, error: str | None, say: Callable[[str], str] = str) -> Text:
    """What the repair did and what is next; `say` puts the board's own command where a line says to run vescdoctor
    again (app.own_words)."""
    text = Text()
    ok = bool(getattr(outcome, "ok", False)) and error is None
    text.append("Repair done\n" if ok else "The repair did not complete\n", style="bold")
    if error is not None:
        message = error
    elif isinstance(outcome, FixOutcome):
        message = outcome_words(outcome)
    else:  # a stand-in for the engine
        message = getattr(outcome, "message", "") or ""
    if message:
        text.append(f"{say(message)}\n")
    actions = getattr(outcome, "actions", None) or ()
    if actions:
        text.append("\nWhat was done\n", style="bold")
        for action in actions:
            get = action.get if isinstance(action, dict) else (lambda k, a=action: getattr(a, k, None))
            mark = {"ok": "ok ", "stopped": "stopped ", "failed": "FAILED "}[action_state(action)]
            detail = get("detail") or get("error") or ""
            text.append(f"  {mark}{get('step') or get('name')}" + (f": {say(detail)}" if detail else "") + "\n")
    backups = getattr(outcome, "backups", None) or ()
    for backup in backups:
        file = backup.get("file") if isinstance(backup, dict) else getattr(backup, "file", None) or \
            getattr(backup, "path", None)
        text.append(f"\nBackup kept: {file}\n")
    code = after_verdict(getattr(outcome, "after", None))
    if code:
        text.append("\nVerdict after the repair: ", style="bold")
        text.append(code, style="bold reverse")
        text.append("\n")
    if not ok:
        text.append(say("\nNothing is lost for good: run vescdoctor again, it reads what the chip holds now and "
                        "finishes the job. Check the wiring and the battery first.\n"))
    return text


def so_far(journal: Any) -> Any:
    """The repair cut short (no outcome from the engine): what its events said was done, as an outcome."""
    if journal is None:
        return None
    return FixOutcome(ok=False, actions=journal.actions(), backups=journal.backups())


class EndScreen(Screen):
    def compose(self) -> ComposeResult:
        app = self.app
        yield Header()
        with VerticalScroll(id="end-body"):
            yield Static(outcome_text(app.outcome if app.outcome is not None else so_far(app.journal), app.fix_error,
                                      app.own_words), id="end-text")
            yield Label("Report file")
            yield Input(str(app.report_path), id="report-path")
            yield Static("For a forum post or a helper: \"Save summary\" writes a short paste-ready text (under 40 "
                         "lines) to a file you choose.", id="end-summary-hint")
        with Horizontal(classes="buttons"):
            yield Button("Save report", id="end-save", variant="primary")
            yield Button("Save summary", id="end-summary")
            yield Button("Quit", id="end-quit")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#end-save", Button).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.save()

    def save(self) -> None:
        path = self.app.save_report(self.query_one("#report-path", Input).value.strip() or None)
        if path is not None:
            self.notify(f"Report saved to {path}", title="Report")

    def ask_summary(self) -> None:
        from .save import SaveReportScreen

        report = Path(self.query_one("#report-path", Input).value.strip() or str(self.app.report_path))

        def chosen(target: Path | None) -> None:
            path = self.app.save_summary(target) if target is not None else None
            if path is not None:
                self.notify(f"Summary saved to {path}: paste it as it is", title="Summary")

        self.app.push_screen(SaveReportScreen(report.with_name(report.stem + "-summary.txt"), "the summary"), chosen)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "end-save":
            self.save()
        elif event.button.id == "end-summary":
            self.ask_summary()
        else:
            self.app.finish()
