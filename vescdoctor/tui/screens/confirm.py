"""The consent dialog: every sector to be erased, by number, address, role and what it holds now, and where the
backup goes. Cancel has the focus: Enter alone never erases anything."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...knowledge.flash import SECTORS
from ..wording import notice_text


def _number(item: Any) -> int:
    return int(getattr(item, "number", item))


def consent_text(plan: Any, sectors: list[dict], backup_dir: Path) -> Text:
    now = {}
    for item in sectors or ():
        try:
            now[int(item.get("number"))] = item
        except (TypeError, ValueError, AttributeError):
            continue
    text = Text()
    erase = sorted({_number(s) for s in getattr(plan, "erase_sectors", None) or ()})
    if erase:
        text.append("These sectors will be ERASED:\n", style="bold")
        for n in erase:
            sector = SECTORS[n]
            item = now.get(n, {})
            holds = str(item.get("state") or "unknown")
            if item.get("detail"):
                holds += f", {item['detail']}"
            text.append(f"  sector {n:2d}  0x{sector.address:08X}  {sector.size // 1024:3d}K  {sector.role:<10} "
                        f"now: {holds}\n")
    else:
        text.append("No sector will be erased.\n", style="bold")
    writes = getattr(plan, "writes", None) or ()
    if writes:
        text.append("Then written:\n", style="bold")
        for write in writes:
            if isinstance(write, (tuple, list)) and len(write) == 3:
                addr, size, what = write
                text.append(f"  {what} at 0x{addr:08X}..0x{addr + size - 1:08X} ({size} bytes)\n")
            else:
                text.append(f"  {write}\n")
    text.append("Backup first: ", style="bold")
    text.append(f"{getattr(plan, 'backup_note', None) or 'the whole flash and the option bytes'}\n")
    text.append(f"  into {backup_dir}\n")
    for warning in getattr(plan, "warnings", None) or ():
        text.append(f"! {notice_text(warning)}\n", style="bold")
    text.append("Keep the battery connected and don't unplug anything until the end.", style="italic")
    return text


BOX_ROWS = 6  # the box's border, the buttons and their margin


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, plan: Any, sectors: list[dict], backup_dir: Path) -> None:
        super().__init__(id="confirm")
        self.plan, self.sectors, self.backup_dir = plan, sectors, backup_dir

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            with VerticalScroll(id="confirm-scroll"):
                yield Static(consent_text(self.plan, self.sectors, self.backup_dir), id="confirm-text")
            yield Static(id="confirm-hint")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="confirm-no", variant="primary")
                yield Button("Erase and write", id="confirm-yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#confirm-box").border_title = "Repair the board?"
        self.fit_scroll()
        self.call_after_refresh(self.fit_scroll)  # again, once the widths are known
        self.query_one("#confirm-no", Button).focus()

    def on_resize(self) -> None:
        self.fit_scroll()

    def fit_scroll(self) -> None:
        """The buttons row always shows: the sector list scrolls within what the box (90% of the screen) leaves
        after its border (2 rows) and the buttons (3 rows and a 1-row margin). When the text does not fit (60x20),
        a hint under it keeps what matters most in sight (where the backup goes, keep the battery connected) and
        says how to scroll."""
        height = self.size.height or self.app.size.height
        room = max(3, int(height * 0.9) - BOX_ROWS)
        scroll = self.query_one("#confirm-scroll")
        hint = self.query_one("#confirm-hint", Static)
        text = self.query_one("#confirm-text", Static)
        width = max(20, (scroll.scrollable_content_region.width or int(self.app.size.width * 0.9) - 4))
        overflow = len(text.render().wrap(width)) > room
        hint.display = overflow
        if overflow:
            words = Text()
            words.append(f"Backup into {self.backup_dir}. Keep the battery connected.\n", style="bold")
            words.append("More in the text above: Shift+Tab to it, then Down/End.", style="italic")
            hint.update(words)
            room = max(3, room - len(words.wrap(self.app.console, width)) - 1)  # and its 1-row margin
        scroll.styles.max_height = room

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_cancel(self) -> None:
        self.dismiss(False)
