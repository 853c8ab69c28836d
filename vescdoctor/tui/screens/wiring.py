"""Wiring: a debug probe to the VESC's SWD header, pin by pin, with the safety rules. Shown before the SWD connect.

The pinouts are data in knowledge/wiring.py (one home with `vescdoctor wiring`); a selector picks the probe. The text
sits in one scroll area that takes focus on arrival (its border shows it), so Down, PageDown and End reach every rule
on a small terminal; the rules come first and again at the end, as the CLI prints them."""
from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Select, Static

from ...knowledge.wiring import DEFAULT_PROBE, HEADERS, PROBES, SAFETY_RULES, VESC4, Layout, Probe
from ...knowledge.wiring import Header as VescHeader

RULES = tuple((bold, " " + why) for bold, why in SAFETY_RULES)  # knowledge/wiring.py: one home with the CLI


def rules_text(say: Callable[[str], str] = str) -> Text:
    """The safety rules; `say` puts the board's own command where one says to run vescdoctor again."""
    text = Text()
    text.append("Safety first\n", style="bold reverse")
    for bold, rest in RULES:
        text.append("• ")
        text.append(bold, style="bold")
        text.append(say(rest) + "\n")
    return text


def header_text(header: VescHeader) -> Text:
    text = Text()
    text.append(header.name, style="bold")
    text.append(f": {header.connector}")
    if not header.confirmed:
        text.append(" (order unconfirmed: measure)", style="bold")
    text.append("\n  " + "  ".join(f"{pin}={signal}" for pin, signal in header.pins) + "\n")
    for how in header.find_pin1:
        text.append("  pin 1: ", style="bold")
        text.append(how + "\n")
    return text


def layout_text(layout: Layout) -> Text:
    """One probe connector: which probe pin takes each VESC pin, then the connector as the rider sees it."""
    text = Text()
    text.append(layout.name + "\n", style="bold")
    text.append(f"  {layout.connector}\n")
    if layout.identify:
        text.append(f"  how to tell: {layout.identify}\n")
    labels = dict(layout.labels)
    vesc_pin = {signal: pin for pin, signal in VESC4.pins}
    for signal, pin, note in layout.wires:
        probe_pin = "not connected" if pin == "-" else f"pin {pin} {labels.get(pin, '')}".strip()
        text.append(f"  VESC {vesc_pin[signal]} {signal:<6} -> {probe_pin}")
        text.append(f"  {note}\n" if note else "\n", style="dim")
    text.append("  The connector, pin 1 top left ([#] = wired):\n")
    wired = {pin for _, pin, _ in layout.wires}
    width = max(len(label) for _, label in layout.labels)
    pairs = list(layout.labels)
    for i in range(0, len(pairs) - 1, 2):
        (p1, l1), (p2, l2) = pairs[i], pairs[i + 1]
        left = f"{l1:>{width}} {p1:>2} {'[#]' if p1 in wired else '[o]'}"
        right = f"{'[#]' if p2 in wired else '[o]'} {p2:<2} {l2}"
        text.append(f"    {left} {right}\n")
    return text


def probe_text(probe: Probe) -> Text:
    text = Text()
    for layout in probe.layouts:
        text.append_text(layout_text(layout))
    for note in probe.notes:
        text.append("note: ", style="bold")
        text.append(note + "\n")
    return text


class WiringScreen(Screen[str]):
    """Dismisses with "connect" (wired, go on) or "skip" (already wired: go on without reading this)."""

    BINDINGS = [Binding("escape", "skip", "Skip"), Binding("enter", "connect", "Connect"),
                Binding("p", "pick_probe", "Probe")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Select([(p.name, p.id) for p in PROBES.values()], value=DEFAULT_PROBE, allow_blank=False,
                     id="wiring-probe")
        with VerticalScroll(id="wiring-body"):
            yield Static("Next, vescdoctor talks to the chip over SWD. Wire the debug probe like this "
                         "(Down, PageDown, End scroll):", id="wiring-intro")
            yield Static(rules_text(getattr(self.app, "own_words", str)), id="wiring-rules")
            for header in HEADERS:
                yield Static(header_text(header), classes="wiring-header")
            yield Static(probe_text(PROBES[DEFAULT_PROBE]), id="wiring-pins")
            yield Static(rules_text(getattr(self.app, "own_words", str)), id="wiring-rules-end")
        with Horizontal(classes="buttons"):
            yield Button("Wired and powered: connect", id="wiring-go", variant="primary")
            yield Button("Skip", id="wiring-skip")
        yield Footer()

    def on_mount(self) -> None:
        # The text first: the keys scroll it at once, and Enter (the screen's binding) still connects.
        self.query_one("#wiring-body", VerticalScroll).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value in PROBES:
            self.query_one("#wiring-pins", Static).update(probe_text(PROBES[event.value]))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("connect" if event.button.id == "wiring-go" else "skip")

    def action_pick_probe(self) -> None:
        self.query_one("#wiring-probe", Select).focus()

    def action_connect(self) -> None:
        self.dismiss("connect")

    def action_skip(self) -> None:
        self.dismiss("skip")
