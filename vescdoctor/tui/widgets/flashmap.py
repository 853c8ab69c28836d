"""The flash map: the STM32F405's 12 sectors, each with its VESC role and the state a probe saw.

Fed from the `flash.sectors` fact (a list of dicts: number, address, size, role, state, detail). Before the flash.map
probe ran, or where read protection kept it from reading, every sector shows `unknown`/`unreadable`. The words are
always written out, so the map reads the same without colours (NO_COLOR, monochrome terminals).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ...knowledge.flash import SECTORS

STATES = ("blank", "data", "unreadable", "unknown")


def _size(size: int) -> str:
    return f"{size // 1024}K"


# The words a cell shows, longest first: a narrow cell (80 columns: about 6 each) takes the first that leaves a blank
# column, so two neighbours never run together ("bufferbuffer").
SHORT = {"bootloader": ("boot", "bl"), "config": ("config", "conf", "cfg"), "buffer": ("buffer", "buf"),
         "app": ("app",), "lispbm": ("lispbm", "lisp", "lbm"), "qml": ("qml",), "free": ("free",),
         "blank": ("blank", "blnk", "-"), "data": ("data", "dat"),
         "unreadable": ("unreadable", "unread", "unrd", "?"), "unknown": ("unknown", "unkn", "?")}


def fit(word: str, width: int) -> str:
    """`word` or its shortest needed form, so that it leaves at least one of `width` columns blank (0: unknown)."""
    forms = SHORT.get(word, (word,))
    if width <= 0:
        return forms[0]
    return next((f for f in forms if len(f) < width), forms[-1])


class SectorCell(Static):
    def __init__(self, number: int) -> None:
        super().__init__(id=f"sector-{number}", classes="sector")
        self.number = number
        self.words = ("", "")
        self.lines: tuple[str, ...] = ()

    def show(self, role: str, size: int, state: str, detail: str = "") -> None:
        for name in STATES:
            self.set_class(name == state, f"state-{name}")
        for name in ("app", "config", "buffer", "bootloader", "qml", "lispbm", "free"):
            self.set_class(name == role, f"role-{name}")
        self.words = (role, state)
        self.draw()
        self.tooltip = f"sector {self.number} 0x{SECTORS[self.number].address:08X} {_size(size)}: {role}, {state}" + \
            (f" ({detail})" if detail else "")

    def draw(self) -> None:
        # the narrowest cell's width for every cell, so all say the same word for the same thing
        parent = self.parent
        width = parent.content_size.width // len(SECTORS) if isinstance(parent, FlashMap) else \
            self.content_size.width
        role, state = self.words
        self.lines = (str(self.number), fit(role, width), fit(state, width))
        self.update("\n".join(self.lines))


class FlashMap(Horizontal):
    """12 cells, one per sector."""

    BORDER_TITLE = "Flash map"

    def compose(self) -> ComposeResult:
        for sector in SECTORS:
            yield SectorCell(sector.number)

    def on_mount(self) -> None:
        self.show_sectors(None)

    def on_resize(self) -> None:
        for cell in self.query(SectorCell):
            cell.draw()

    def show_sectors(self, sectors: Iterable[dict[str, Any]] | None, *, unreadable: bool = False) -> None:
        """Draw the `flash.sectors` fact; None: not read (unknown, or unreadable when the chip refuses reads)."""
        by_number = {}
        for item in sectors or ():
            try:
                by_number[int(item.get("number"))] = item
            except (TypeError, ValueError, AttributeError):
                continue
        for sector in SECTORS:
            item = by_number.get(sector.number)
            cell = self.query_one(f"#sector-{sector.number}", SectorCell)
            if item is None:
                cell.show(sector.role, sector.size, "unreadable" if unreadable else "unknown")
            else:
                state = str(item.get("state") or "unknown")
                cell.show(str(item.get("role") or sector.role), int(item.get("size") or sector.size),
                          state if state in STATES else "unknown", str(item.get("detail") or ""))
        self.border_subtitle = "not read yet" if not by_number and not unreadable else (
            "read protection blocks reads" if unreadable and not by_number else "")
