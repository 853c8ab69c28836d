"""How a debug probe is wired to a VESC's SWD header, as data: the headers, the probes' connectors, the safety rules.

`vescdoctor wiring` and the TUI's wiring screen both read these tables (one home). Every pinout is cited in
docs/wiring.md; the short source beside each entry names where it was checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The VESC signals a probe needs, in the header's own order. VREF is the board's 3.3 V, for the probe to SENSE.
VREF, SWCLK, GND, SWDIO, NRST = "3.3 V", "SWCLK", "GND", "SWDIO", "NRST"
SIGNALS = (VREF, SWCLK, GND, SWDIO, NRST)


@dataclass(frozen=True)
class Header:
    """A SWD header on a VESC: pin number -> signal, and how a rider finds pin 1 on the board."""
    id: str
    name: str
    connector: str
    pins: tuple[tuple[str, str], ...]          # (pin, signal), pin 1 first
    find_pin1: tuple[str, ...]
    source: str
    confirmed: bool = True


@dataclass(frozen=True)
class Layout:
    """One connector of a probe: every pin's label, and which pin takes each VESC signal."""
    name: str
    connector: str
    labels: tuple[tuple[str, str], ...]        # (pin, label on the probe), in pin order
    wires: tuple[tuple[str, str, str], ...]    # (VESC signal, probe pin, note)
    rows: int = 2                              # 2: odd pins in one row, even in the other (the drawing)
    identify: str = ""                         # how to tell this layout from the probe's others
    source: str = ""


@dataclass(frozen=True)
class Probe:
    id: str
    name: str
    layouts: tuple[Layout, ...]
    notes: tuple[str, ...] = field(default=())


VESC4 = Header(
    id="vesc4", name="VESC 4.x (4.10, 4.11, 4.12 and their clones)",
    connector="6 pins in one row, JST-PH 2.0 mm (labelled P2 on the board)",
    pins=(("1", VREF), ("2", SWCLK), ("3", GND), ("4", SWDIO), ("5", NRST), ("6", "n.c.")),
    find_pin1=(
        "Pins 1 and 6 are the two ends of the row; the silkscreen label P2 sits beside pin 6, so pin 1 is the "
        "far end.",
        "To be sure, measure with the battery connected: pin 3 has continuity to the battery's minus (GND) and "
        "pin 1 reads 3.3 V against it. Pin 1 is two pins away from GND, on the side away from pin 6.",
    ),
    source="vedderb/bldc-hardware master: design/BLDC_4.net (P2 \"SWD\": 1 VCC, 2 SWCLK, 3 GND, 4 SWDIO, 5 NRST, "
           "6 unconnected); design/BLDC_4.kicad_pcb (footprint MICRO_JST_6 = B6B-PH, reference text beside pad 6)",
)

VESC6 = Header(
    id="vesc6", name="VESC 6 family (6.x, 75/300 and clones)",
    connector="6 pins in one row (on most boards a JST-PH 2.0 mm like the 4.x)",
    pins=VESC4.pins,
    find_pin1=(
        "The same order as the 4.x is seen on these boards and VESC-to-VESC SWD cables are one-to-one, but no "
        "VESC 6 schematic is public: measure before you wire.",
        "With the battery connected: GND has continuity to the battery's minus, 3.3 V reads 3.3 V against it; "
        "with GND on pin 3 and 3.3 V on pin 1 the rest follows (2 SWCLK, 4 SWDIO, 5 NRST).",
    ),
    source="shared/reference/vesc-stm32.md \"SWD wiring and power\" (same order, unconfirmed); Spintend's Ubox SWD "
           "page lists 3V3, SWC, GND, SWD, NRST",
    confirmed=False,
)

HEADERS = (VESC4, VESC6)

STLINK_V2 = Probe(
    id="stlink-v2", name="ST-Link/V2 (ST's own, 20-pin JTAG/SWD connector)",
    layouts=(Layout(
        name="20-pin JTAG/SWD connector (2.54 mm, 2 rows of 10)",
        connector="pin 1 is marked by a triangle on the shroud; its key notch is in the middle of the row with pin 1",
        labels=(("1", "VAPP"), ("2", "VAPP"), ("3", "TRST"), ("4", "GND"), ("5", "TDI"), ("6", "GND"),
                ("7", "SWDIO"), ("8", "GND"), ("9", "SWCLK"), ("10", "GND"), ("11", "NC"), ("12", "GND"),
                ("13", "SWO"), ("14", "GND"), ("15", "NRST"), ("16", "GND"), ("17", "NC"), ("18", "GND"),
                ("19", "VDD 3.3V OUT"), ("20", "GND")),
        wires=((VREF, "1", "senses the voltage, powers nothing"), (SWCLK, "9", ""),
               (GND, "4", "any even pin 4-20"), (SWDIO, "7", ""), (NRST, "15", "lets vescdoctor connect under reset")),
        source="ST UM1075 (ST-LINK/V2 user manual), JTAG/SWD connector pinout table",
    ),),
    notes=("Pin 19 is a 3.3 V output: leave it free.",),
)

_CLONE_LABELS_A = (("1", "RST"), ("2", "SWCLK"), ("3", "SWIM"), ("4", "SWDIO"), ("5", "GND"), ("6", "GND"),
                   ("7", "3.3V"), ("8", "3.3V"), ("9", "5.0V"), ("10", "5.0V"))
_CLONE_LABELS_B = (("1", "RST"), ("2", "SWDIO"), ("3", "GND"), ("4", "GND"), ("5", "SWIM"), ("6", "SWCLK"),
                   ("7", "3.3V"), ("8", "3.3V"), ("9", "5.0V"), ("10", "5.0V"))
_CLONE_SOURCE = ("the labels printed on the dongles' cases; both layouts side by side (STM32F101 and STM32F103 "
                 "versions): denshikousakusenka.jimdofree.com, \"ST-Link V2 Clone\" (2020)")
_CLONE_RST = "often not wired to a working reset: use it, but don't count on it"

STLINK_V2_CLONE = Probe(
    id="stlink-v2-clone", name="ST-Link V2 clone dongle (USB stick, 10-pin header)",
    layouts=(
        Layout(name="layout A: SWCLK on pin 2", connector="2.54 mm, 2 rows of 5; pin 1 (RST) is marked on the case",
               labels=_CLONE_LABELS_A,
               wires=((VREF, "-", "leave unconnected: the clone has no sense pin; its 3.3V pins are OUTPUTS"),
                      (SWCLK, "2", ""), (GND, "5", "or 6"), (SWDIO, "4", ""), (NRST, "1", _CLONE_RST)),
               identify="the case reads RST, SWCLK, SWIM, SWDIO, GND ...; unlabelled: pin 5 has continuity to the "
                        "USB plug's metal shell",
               source=_CLONE_SOURCE),
        Layout(name="layout B: SWDIO on pin 2", connector="2.54 mm, 2 rows of 5; pin 1 (RST) is marked on the case",
               labels=_CLONE_LABELS_B,
               wires=((VREF, "-", "leave unconnected: the clone has no sense pin; its 3.3V pins are OUTPUTS"),
                      (SWCLK, "6", ""), (GND, "3", "or 4"), (SWDIO, "2", ""), (NRST, "1", _CLONE_RST)),
               identify="the case reads RST, SWDIO, GND, GND, SWIM ...; unlabelled: pin 3 has continuity to the "
                        "USB plug's metal shell",
               source=_CLONE_SOURCE),
    ),
    notes=("Two layouts are sold under the same name: read the label on YOUR dongle before you wire.",
           "Pins 7-10 (3.3V, 5.0V) are outputs: leave them free."),
)

# The ARM Cortex debug connector's 10 pins: CMSIS-DAP probes use it, and STDC14 pins 3-12 are the same pins.
_CORTEX10 = (("1", "VTref"), ("2", "SWDIO"), ("3", "GND"), ("4", "SWCLK"), ("5", "GND"), ("6", "SWO"),
             ("7", "KEY/NC"), ("8", "NC/TDI"), ("9", "GNDDetect"), ("10", "nRESET"))
_CORTEX_SOURCE = "ARM Cortex Debug Connector (10-pin, 1.27 mm): Arm CoreSight connector documentation"

STLINK_V3 = Probe(
    id="stlink-v3", name="STLINK-V3 (V3MINIE, V3SET, V3MODS)",
    layouts=(
        Layout(name="STDC14 connector (1.27 mm, 2 rows of 7): V3MINIE, V3SET main module",
               connector="keyed; pin 1 is marked by a triangle. Use the flat cable and a 1.27 mm breakout or "
                         "fine jumper wires",
               labels=(("1", "reserved"), ("2", "reserved"), ("3", "T_VCC"), ("4", "SWDIO"), ("5", "GND"),
                       ("6", "SWCLK"), ("7", "GND"), ("8", "SWO"), ("9", "NC"), ("10", "NC"), ("11", "GNDDetect"),
                       ("12", "NRST"), ("13", "VCP_RX"), ("14", "VCP_TX")),
               wires=((VREF, "3", "senses the voltage, powers nothing"), (SWCLK, "6", ""),
                      (GND, "5", "or 7"), (SWDIO, "4", ""), (NRST, "12", "lets vescdoctor connect under reset")),
               source="ST UM2448 (STLINK-V3SET) and UM2910 (STLINK-V3MINIE), STDC14 connector pinout table"),
        Layout(name="20-pin JTAG connector of the V3SET adapter board (MB1440)",
               connector="the same pins as the ST-Link/V2 20-pin connector",
               labels=STLINK_V2.layouts[0].labels, wires=STLINK_V2.layouts[0].wires,
               source="ST UM2448 (STLINK-V3SET), adapter board MB1440, 20-pin JTAG connector"),
    ),
    notes=("The V3MINIE supplies no power to the board; none of them should.",),
)

CMSIS_DAP = Probe(
    id="cmsis-dap", name="CMSIS-DAP probes (DAPLink, Nucleo/MCU-Link, J-Link in CMSIS-DAP mode ...)",
    layouts=(Layout(
        name="10-pin Cortex debug connector (1.27 mm, 2 rows of 5)",
        connector="pin 1 is marked by a triangle or a dot; on keyed cables pin 7 is missing",
        labels=_CORTEX10,
        wires=((VREF, "1", "senses the voltage, powers nothing"), (SWCLK, "4", ""),
               (GND, "3", "or 5, 9"), (SWDIO, "2", ""), (NRST, "10", "lets vescdoctor connect under reset")),
        source=_CORTEX_SOURCE),),
    notes=("Probes with their own pin headers (e.g. labelled SWDIO, SWCLK, GND, 3V3, RST): follow the labels; a "
           "pin marked 3V3 or VCC that is an OUTPUT stays free.",),
)

PROBES = {p.id: p for p in (STLINK_V2, STLINK_V2_CLONE, STLINK_V3, CMSIS_DAP)}
DEFAULT_PROBE = STLINK_V2.id

# (the rule in bold, the reason): README "Wiring an ST-Link to a VESC — and staying safe".
SAFETY_RULES = (
    ("Power the VESC from its battery input.",
     "USB does not power a VESC 4.x; a current-limited supply is best."),
    ("Never feed 3.3 V from the probe into the VESC.",
     "A probe's 3.3 V output (ST-Link pin 19, a dongle's 3.3V pins) can kill its regulator; pin 1 only senses."),
    ("Wire NRST",
     "so the chip can be reached under reset when its firmware sleeps or takes the SWD pins."),
    ("Disconnect the motor",
     "and keep the SWD wires under 20 cm."),
    ("Don't unplug anything while a write runs.",
     "If it happens, run vescdoctor again: it finishes the job."),
)
