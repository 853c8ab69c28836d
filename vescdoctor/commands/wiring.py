"""`vescdoctor wiring [--probe KIND] [--json]`: the VESC's SWD header, pin by pin, for a probe, with the safety rules.

The pinouts are data in knowledge/wiring.py (the TUI's wiring screen reads the same); this module only draws them.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import textwrap

from ..knowledge.wiring import HEADERS, PROBES, SAFETY_RULES, VESC4, Header, Layout, Probe


def run(args) -> int:
    probes = [PROBES[args.probe_kind]] if args.probe_kind else list(PROBES.values())
    if args.json:
        doc = {"headers": [dataclasses.asdict(h) for h in HEADERS], "probes": [dataclasses.asdict(p) for p in probes],
               "safety_rules": [f"{bold} {why}" for bold, why in SAFETY_RULES]}
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    sys.stdout.write(render(probes))
    return 0


def render(probes: list[Probe]) -> str:
    out = safety_lines() + [""]
    for header in HEADERS:
        out += header_lines(header) + [""]
    for probe in probes:
        out += probe_lines(probe) + [""]
    out += safety_lines()
    return "\n".join(out) + "\n"


WIDTH = 100


def wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)


def safety_lines() -> list[str]:
    out = ["SAFETY FIRST"]
    for bold, why in SAFETY_RULES:
        out += wrap(f"{bold.upper()} {why}", "  ! ", "    ")
    return out


def header_lines(header: Header) -> list[str]:
    cells = [(pin, signal) for pin, signal in header.pins]
    width = max(len(s) for _, s in cells) + 2
    title = f"{header.name}: {header.connector}" + ("" if header.confirmed else " (order UNCONFIRMED: measure)")
    lines = wrap(title, "", "  ") + [
             ("  " + "".join(f"[{pin}]".center(width) for pin, _ in cells)).rstrip(),
             ("  " + "".join(signal.center(width) for _, signal in cells)).rstrip()]
    for how in header.find_pin1:
        lines += wrap(how, "  pin 1: ", "         ")
    return lines


def probe_lines(probe: Probe) -> list[str]:
    lines = [f"== {probe.name}  (--probe {probe.id})"]
    for layout in probe.layouts:
        lines += layout_lines(layout)
    for n in probe.notes:
        lines += wrap(n, "  note: ", "        ")
    return lines


def layout_lines(layout: Layout) -> list[str]:
    lines = [f"-- {layout.name}", f"   {layout.connector}"]
    if layout.identify:
        lines += wrap(f"how to tell: {layout.identify}", "   ", "     ")
    lines += ["", f"   {'VESC pin':<9} {'signal':<7} {'probe pin':<18} note"]
    labels = dict(layout.labels)
    vesc_pin = {signal: pin for pin, signal in VESC4.pins}
    for signal, pin, note in layout.wires:
        probe_pin = "not connected" if pin == "-" else f"{pin} {labels.get(pin, '')}".strip()
        lines.append(f"   {vesc_pin[signal]:<9} {signal:<7} {probe_pin:<18} {note}".rstrip())
    return lines + [""] + drawing(layout)


def drawing(layout: Layout) -> list[str]:
    """The probe's connector as the rider sees it, odd pins left, even right, each wired pin pointing at its VESC
    pin: `VESC 2 SWCLK --> SWCLK  9 [#] [o] 10 GND`."""
    labels = list(layout.labels)
    wired = {pin: signal for signal, pin, _ in layout.wires if pin != "-"}
    vesc_pin = {signal: pin for pin, signal in VESC4.pins}

    def note(pin: str) -> str:
        return f"VESC {vesc_pin[wired[pin]]} {wired[pin]}" if pin in wired else ""

    def mark(pin: str) -> str:
        return "[#]" if pin in wired else "[o]"

    width = max(len(label) for _, label in labels)
    lines = ["   The probe's connector, pin 1 top left ([#] = a wire to the VESC):"]
    for i in range(0, len(labels), 2):
        (p1, l1), (p2, l2) = labels[i], labels[i + 1]
        left = f"{note(p1) + ' -->' if p1 in wired else '':>16} {l1:>{width}} {p1:>2} {mark(p1)}"
        right = f"{mark(p2)} {p2:<2} {l2:<{width}} {'<-- ' + note(p2) if p2 in wired else ''}"
        lines.append(f"   {left} {right}".rstrip())
    return lines
