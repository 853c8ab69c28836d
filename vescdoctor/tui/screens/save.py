"""Where to save the report: asked every time, so nothing is written to disk the rider did not choose."""
from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static


class SaveReportScreen(ModalScreen["Path | None"]):
    """Dismisses with the path the rider chose (`~` expanded), or None (cancelled). A file already there is replaced
    only when Save is pressed a second time for that same path."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggested: Path, what: str = "the report") -> None:
        super().__init__()
        self.suggested, self.what = suggested, what
        self._replace_ok: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Static(f"Save {self.what} to (Enter saves, Esc cancels):", id="save-text")
            yield Input(str(self.suggested), id="save-path")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save-go", variant="primary")
                yield Button("Cancel", id="save-cancel")
        yield Footer()  # its own: Esc cancels here (the screen below would say q quits, but q types in the field)

    def on_mount(self) -> None:
        self.query_one("#save-box").border_title = "Save"
        self.query_one("#save-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save-go":
            self.save()
        else:
            self.dismiss(None)

    def save(self) -> None:
        text = self.query_one("#save-path", Input).value.strip()
        if not text:
            self.notify("Type where to save it.", title="Save", severity="warning")
            return
        path = Path(text).expanduser()
        if path.exists() and self._replace_ok != path:
            self._replace_ok = path
            self.notify(f"{path} exists: press Save again to replace it, or change the name.", title="Save",
                        severity="warning", timeout=10)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
