"""The flash map: the STM32F405's 12 sectors, each with its VESC role and the state a probe saw.

Fed from the `flash.sectors` fact (a list of dicts: number, address, size, role, state, detail). Before the flash.map
probe ran, or where read protection kept it from reading, every sector shows `unknown`/`unreadable`. The words are
always written out, so the map reads the same without colours (NO_COLOR, monochrome terminals).
"""
from __future__ import annotations

from typing import Any, Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ...knowledge.flash import SECTORS

STATES = ("blank", "data", "unreadable", "unknown")


def _size(size: int) -> str:
    return f"{size // 1024}K"


class SectorCell(Static):
    def __init__(self, number: int) -> None:
        super().__init__(id=f"sector-{number}", classes="sector")
        self.number = number

    def show(self, role: str, size: int, state: str, detail: str = "") -> None:
        for name in STATES:
            self.set_class(name == state, f"state-{name}")
        for name in ("app", "config", "buffer", "bootloader"):
            self.set_class(name == role, f"role-{name}")
        role_short = "boot" if role == "bootloader" else role
        self.update(f"{self.number}\n{role_short}\n{state}")
        self.tooltip = f"sector {self.number} 0x{SECTORS[self.number].address:08X} {_size(size)}: {role}, {state}" + \
            (f" ({detail})" if detail else "")


class FlashMap(Horizontal):
    """12 cells, one per sector."""

    BORDER_TITLE = "Flash map"

    def compose(self) -> ComposeResult:
        for sector in SECTORS:
            yield SectorCell(sector.number)

    def on_mount(self) -> None:
        self.show_sectors(None)

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
