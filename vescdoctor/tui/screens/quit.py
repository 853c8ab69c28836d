"""Asked when quitting while the fix writes to the flash."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitWhileWriting(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "stay", "Keep writing")]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Static("A write to the flash is running. Quitting now can leave the board without firmware or "
                         "bootloader. The backup made first is kept; running vescdoctor again finishes the job.\n\n"
                         "Wait for the write to finish?", id="quit-text")
            with Horizontal(classes="buttons"):
                yield Button("Keep writing", id="quit-no", variant="primary")
                yield Button("Quit anyway", id="quit-yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#quit-box").border_title = "Quit mid-write?"
        self.query_one("#quit-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit-yes")

    def action_stay(self) -> None:
        self.dismiss(False)
