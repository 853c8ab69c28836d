"""Asked when quitting while the fix writes to the flash."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

TEXT = ("A write to the flash is running. Cut halfway, it would leave the board without firmware or bootloader, so "
        "it always finishes and is verified first.\n\nvescdoctor can stop the repair after this write and then quit: "
        "the backup made first is kept, and running vescdoctor again finishes the job.")
# Over USB there is no safe point between its writes (screens/fix.py): once one runs, the repair goes to its end.
USB_TEXT = ("A write over USB is running. Cut halfway, it would leave a torn bootloader or no firmware, and over USB "
            "the repair cannot stop between its writes.\n\nvescdoctor can quit once the repair has ended (a minute "
            "or so): keep the USB cable and the battery connected until then.")


class QuitWhileWriting(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "stay", "Keep going")]

    def compose(self) -> ComposeResult:
        usb = getattr(getattr(self.app, "plan", None), "via", None) == "usb"
        with Vertical(id="quit-box"):
            yield Static(getattr(self.app, "own_words", str)(USB_TEXT if usb else TEXT), id="quit-text")
            with Horizontal(classes="buttons"):
                yield Button("Keep going", id="quit-no", variant="primary")
                yield Button("Quit at the end" if usb else "Stop after this write", id="quit-yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#quit-box").border_title = "Quit mid-write?"
        self.query_one("#quit-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit-yes")

    def action_stay(self) -> None:
        self.dismiss(False)
