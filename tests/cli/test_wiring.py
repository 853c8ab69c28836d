"""`vescdoctor wiring`: every probe's pinout from the one table in knowledge/wiring.py, with the safety rules; the
pinouts checked against the VESC 4.12 netlist (vedderb/bldc-hardware design/BLDC_4.net, connector P2)."""
from __future__ import annotations

import json
import re

import pytest

from vescdoctor.cli import main
from vescdoctor.knowledge import wiring


@pytest.mark.parametrize("kind", ["stlink-v2", "stlink-v2-clone", "stlink-v3", "cmsis-dap"])
def test_each_probe_prints_its_pinout_with_the_safety_rules(kind, capsys):
    assert main(["wiring", "--probe", kind]) == 0
    out = capsys.readouterr().out
    assert "NEVER FEED 3.3 V" in out.upper() and "pin 1:" in out
    probe = wiring.PROBES[kind]
    assert f"--probe {kind}" in out
    for layout in probe.layouts:
        assert layout.name in out
        for _signal, pin, _ in layout.wires:
            if pin != "-":
                assert re.search(rf"(?<!\d){pin} \[#\]|\[#\] {pin}(?!\d)", out), (layout.name, pin)


def test_without_a_probe_every_probe_is_printed(capsys):
    assert main(["wiring"]) == 0
    out = capsys.readouterr().out
    assert all(f"--probe {kind}" in out for kind in wiring.PROBES)


def test_json_is_one_document(capsys):
    assert main(["wiring", "--probe", "cmsis-dap", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in doc["probes"]] == ["cmsis-dap"] and len(doc["headers"]) == 2


def test_an_unknown_probe_is_bad_input(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["wiring", "--probe", "jlink-pro"])
    assert exc.value.code == 2


def test_vesc4_header_matches_the_schematic():
    # BLDC_4.net, nets VCC / SWCLK / GND / SWDIO / NRST / Net-(P2-Pad6)
    assert dict(wiring.VESC4.pins) == {"1": "3.3 V", "2": "SWCLK", "3": "GND", "4": "SWDIO", "5": "NRST",
                                       "6": "n.c."}


def test_every_layout_wires_every_signal_to_a_pin_that_carries_it():
    """A wire never lands on a pin labelled for something else (the clone's 3.3 V OUTPUT above all)."""
    for probe in wiring.PROBES.values():
        for layout in probe.layouts:
            labels = dict(layout.labels)
            assert {w[0] for w in layout.wires} == set(wiring.SIGNALS), layout.name
            for signal, pin, _ in layout.wires:
                if pin == "-":
                    assert signal == wiring.VREF
                    continue
                label = labels[pin].upper()
                want = {"3.3 V": ("VAPP", "VTREF", "T_VCC"), "GND": ("GND",), "SWCLK": ("SWCLK",),
                        "SWDIO": ("SWDIO",), "NRST": ("NRST", "RST", "NRESET")}[signal]
                assert label.startswith(want) and "OUT" not in label, (layout.name, signal, pin, label)


def test_the_clone_layouts_differ_and_say_how_to_tell_them_apart():
    a, b = wiring.STLINK_V2_CLONE.layouts
    assert a.identify and b.identify and dict(a.labels)["2"] != dict(b.labels)["2"]


def test_the_tui_wiring_screen_reads_the_same_table():
    from vescdoctor.tui.screens import wiring as screen

    assert [row[0] for row in screen.PINS] == [pin for pin, _ in wiring.VESC4.pins]
    assert [bold for bold, _ in screen.RULES] == [bold for bold, _ in wiring.SAFETY_RULES]
