"""Wiring: the ST-Link to the VESC 4.x SWD header, pin by pin, with the safety rules. Shown before the SWD connect."""
from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from ...knowledge.wiring import SAFETY_RULES, STLINK_V2, VESC4

RULES = tuple((bold, " " + why) for bold, why in SAFETY_RULES)  # knowledge/wiring.py: one home with the CLI


def _pins() -> tuple[tuple[str, str, str, str], ...]:
    """VESC 4.x header pin -> (signal, ST-Link/V2 20-pin pin, note), from knowledge/wiring.py."""
    layout = STLINK_V2.layouts[0]
    labels, wires = dict(layout.labels), {signal: (pin, note) for signal, pin, note in layout.wires}
    rows = []
    for pin, signal in VESC4.pins:
        probe_pin, note = wires.get(signal, ("-", "leave free"))
        rows.append((pin, signal, f"{probe_pin} {labels.get(probe_pin, '')}".strip(), note))
    return tuple(rows)


PINS = _pins()


def pin_table() -> Table:
    table = Table(title="VESC 4.x SWD header (6 pins, 2.0 mm)  ->  ST-Link/V2 (20-pin)", title_justify="left",
                  expand=False, box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("VESC pin")
    table.add_column("signal")
    table.add_column("ST-Link pin")
    table.add_column("note")
    for pin, signal, stlink, note in PINS:
        table.add_row(pin, signal, stlink, note)
    return table


def rules_text() -> Text:
    text = Text()
    for bold, rest in RULES:
        text.append("• ")
        text.append(bold, style="bold")
        text.append(rest + "\n")
    text.append("10-pin clone dongles, ST-Link V3, CMSIS-DAP: `vescdoctor wiring --probe KIND` prints their pins.",
                style="dim")
    return text


class WiringScreen(Screen[str]):
    """Dismisses with "connect" (wired, go on) or "skip" (already wired: go on without reading this)."""

    BINDINGS = [Binding("escape", "skip", "Skip"), Binding("enter", "connect", "Connect", show=False)]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="wiring-body"):
            yield Static("Next, vescdoctor talks to the chip over SWD. Wire the debug probe like this:",
                         id="wiring-intro")
            yield Static(pin_table(), id="wiring-pins")
            yield Static(rules_text(), id="wiring-rules")
        with Horizontal(classes="buttons"):
            yield Button("Wired and powered: connect", id="wiring-go", variant="primary")
            yield Button("Skip", id="wiring-skip")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#wiring-go", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("connect" if event.button.id == "wiring-go" else "skip")

    def action_connect(self) -> None:
        self.dismiss("connect")

    def action_skip(self) -> None:
        self.dismiss("skip")
