"""The consent dialog: every sector to be erased, by number, address, role and what it holds now, and where the
backup goes. Cancel has the focus: Enter alone never erases anything.

"Erase the whole chip" (off by default) switches to the plan of `fix --erase-all` (the forum's "how do I erase the
full chip?"): the dialog then lists all twelve sectors and says what a full erase costs and why vescdoctor does not
need it (the plan's note, fixes/plan.py). Yes runs the plan the dialog shows."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

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
    if "mass-erase" in (getattr(plan, "step_names", None) or ()):
        for note in (getattr(plan, "notes", None) or ())[:1]:  # the cost; the order note is the verdict screen's
            text.append(f"{note}\n")
    text.append("Keep the battery connected and don't unplug anything until the end.", style="italic")
    return text


BOX_ROWS = 6  # the box's border, the buttons and their margin
CHECKBOX_ROWS = 2  # "Erase the whole chip" and its margin
ERASE_ALL_LABEL = "Erase the whole chip (not needed to repair)"
Replan = Callable[[bool], "tuple[Any, str | None]"]


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, plan: Any, sectors: list[dict], backup_dir: Path, replan: Replan | None = None) -> None:
        super().__init__(id="confirm")
        self.plan, self.sectors, self.backup_dir = plan, sectors, backup_dir
        self.replan = replan  # (erase_all) -> (plan, error): the plan again, with or without the full erase
        self.plan_without = plan
        # A plan that erases everything already (lifting read protection) has nothing to switch to.
        self.offer_erase_all = replan is not None and "unlock-rdp" not in (getattr(plan, "step_names", None) or ())

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            with VerticalScroll(id="confirm-scroll"):
                yield Static(consent_text(self.plan, self.sectors, self.backup_dir), id="confirm-text")
            yield Static(id="confirm-hint")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="confirm-no", variant="primary")
                yield Button("Erase and write", id="confirm-yes", variant="error")
            if self.offer_erase_all:  # after the buttons: Tab from Cancel still reaches "Erase and write" first
                yield Checkbox(ERASE_ALL_LABEL, False, id="confirm-erase-all")

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
        room = max(3, int(height * 0.9) - BOX_ROWS - (CHECKBOX_ROWS if self.offer_erase_all else 0))
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

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """The full erase ticked or not: the plan made again (`fix --erase-all`'s), the text and the list with it."""
        event.stop()
        if self.replan is None:
            return
        if not event.value:
            self.show(self.plan_without)
            return
        plan, error = self.replan(True)
        if plan is None:
            self.notify(error or "no plan", title="Full chip erase not possible", severity="error", timeout=15)
            with event.checkbox.prevent(Checkbox.Changed):
                event.checkbox.value = False
            return
        self.show(plan)

    def show(self, plan: Any) -> None:
        self.plan = plan
        self.query_one("#confirm-text", Static).update(consent_text(plan, self.sectors, self.backup_dir))
        self.fit_scroll()
        self.call_after_refresh(self.fit_scroll)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_cancel(self) -> None:
        self.dismiss(False)
