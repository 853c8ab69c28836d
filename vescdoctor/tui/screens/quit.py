"""Asked when quitting while the fix writes to the flash."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitWhileWriting(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "stay", "Keep going")]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Static(getattr(self.app, "own_words", str)(
                "A write to the flash is running. Cut halfway, it would leave the board without firmware or "
                "bootloader, so it always finishes and is verified first.\n\nvescdoctor can stop the repair after "
                "this write and then quit: the backup made first is kept, and running vescdoctor again finishes the "
                "job."), id="quit-text")
            with Horizontal(classes="buttons"):
                yield Button("Keep going", id="quit-no", variant="primary")
                yield Button("Stop after this write", id="quit-yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#quit-box").border_title = "Quit mid-write?"
        self.query_one("#quit-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit-yes")

    def action_stay(self) -> None:
        self.dismiss(False)
