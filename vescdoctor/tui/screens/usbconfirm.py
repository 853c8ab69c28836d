"""The consent for a repair over USB (usbrepair/plan.py): what goes into the chip through the running firmware, what
is saved first, what an update loses. Cancel has the focus: Enter alone never writes anything. Its own screen: the
SWD confirmation lists sectors from the flash map and a backup of the whole flash, neither of which exists over USB."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def usb_consent_text(plan: Any, backup_dir: Path) -> Text:
    text = Text()
    text.append("Keep the battery and the USB cable connected; don't unplug anything until the end.\n\n",
                style="bold")
    for line in plan.describe():
        text.append(line + "\n")
    if "save-config" in plan.step_names:
        text.append("The configuration is saved into ", style="bold")
        text.append(f"{backup_dir}\n")
    else:
        text.append("Nothing else changes: the firmware and its configuration stay as they are.\n", style="bold")
    return text


class UsbConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, plan: Any, backup_dir: Path) -> None:
        super().__init__(id="usb-confirm")
        self.plan, self.backup_dir = plan, backup_dir

    def compose(self) -> ComposeResult:
        with Vertical(id="usb-confirm-box"):
            with VerticalScroll(id="usb-confirm-scroll"):
                yield Static(usb_consent_text(self.plan, self.backup_dir), id="usb-confirm-text")
            yield Static("Shift+Tab to the text, then Down/End to read all of it.", id="usb-confirm-hint")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="confirm-no", variant="primary")
                yield Button("Write over USB", id="confirm-yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#usb-confirm-box").border_title = "Repair over USB?"
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_cancel(self) -> None:
        self.dismiss(False)
