"""Facts in words: what a probe established, as a person reads it (addresses in hex, units, sentences).

`fact_words(name, value)` gives (label, sentence) for one fact; `evidence(facts)` the rows every face shows a person.
The raw values stay in the report's JSON (and in the renderings' collapsed "raw facts" section); this module never
changes a fact, it only says it. Unknown fact names still read well: hex for big integers, "yes"/"no", lists
joined.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..target.chip_id import DEV_IDS, REV_IDS_413

ERASED = 0xFFFFFFFF
# Facts with a section of their own (answers, the flash map) or that only say a probe ran.
NOT_EVIDENCE = {"flash.sectors"}
NOT_EVIDENCE_PREFIXES = ("answer.",)


def hex32(v: int) -> str:
    return f"0x{v:08X}"


def size_words(n: int) -> str:
    if n >= 1024 and n % 1024 == 0:
        return f"{n} bytes ({n // 1024} KiB)"
    return f"{n} bytes" + (f" ({n / 1024:.1f} KiB)" if n >= 1024 else "")


def _address(what: str) -> Callable[[Any], str]:
    def say(v: Any) -> str:
        if not isinstance(v, int) or isinstance(v, bool):
            return str(v)
        return hex32(v) + (" (erased)" if v == ERASED else "")
    return say


def _idcode(v: Any) -> str:
    if not isinstance(v, int) or isinstance(v, bool):
        return str(v)
    dev, rev = v & 0xFFF, v >> 16
    family = DEV_IDS.get(dev, f"an unknown chip (DEV_ID 0x{dev:03X})")
    revision = REV_IDS_413.get(rev, f"0x{rev:04X}") if dev == 0x413 else f"0x{rev:04X}"
    return f"IDCODE {hex32(v)}: {family}, revision {revision}"


_MODES = {"attach": "connect without halting the core", "under-reset": "connect under reset (NRST held low)"}


def attempt_words(attempt: Any) -> str:
    """One SWD connect attempt as a sentence."""
    if not isinstance(attempt, dict):
        return str(attempt)
    mode = str(attempt.get("mode"))
    out = _MODES.get(mode, f"connect ({mode})") + (": answered" if attempt.get("ok") else ": no answer")
    volts = attempt.get("target_voltage")
    if isinstance(volts, (int, float)) and not isinstance(volts, bool):
        out += f", board at {volts:.2f} V"
    if attempt.get("error"):
        out += f" ({attempt['error']})"
    return out


def _attempts(v: Any) -> str:
    if not isinstance(v, list) or not v:
        return "no connect attempt" if v == [] else str(v)
    return "; then ".join(attempt_words(a) for a in v)


def _clock_steps(v: Any) -> str:
    if not isinstance(v, list) or not v:
        return "none: the probe's fastest clock worked" if v == [] else str(v)
    steps = [s for s in v if isinstance(s, dict)]
    return ("long or loose wires: transfers failed at " + ", ".join(f"{s.get('from_khz')} kHz" for s in steps)
            + f"; slowed to {steps[-1].get('to_khz')} kHz" if steps else str(v))


def _rdp_byte(v: Any) -> str:
    if not isinstance(v, int) or isinstance(v, bool):
        return str(v)
    level = {0xAA: "level 0, no read protection", 0xCC: "level 2, permanent: SWD is off for good"}.get(
        v, "level 1, flash cannot be read over SWD")
    return f"0x{v:02X} ({level})"


def _probes(v: Any) -> str:
    if not isinstance(v, list):
        return str(v)
    if not v:
        return "none"
    return ", ".join(f"{p.get('name', '?')} ({p.get('vid', '?')}:{p.get('pid', '?')})"
                     + (f", serial {p['serial']}" if p.get("serial") else "") if isinstance(p, dict) else str(p)
                     for p in v)


def _sectors(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(str(s) for s in v) if v else "none"
    return str(v)


def _pages(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"sector {k}: {state}" for k, state in v.items())
    return str(v)


def _volts(v: Any) -> str:
    return f"{v:.2f} V" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def _bytes(v: Any) -> str:
    return size_words(v) if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _bor(v: Any) -> str:
    return {3: "off (BOR_LEV 3)", 2: "level 1", 1: "level 2", 0: "level 3"}.get(v, str(v))


def _kib(v: Any) -> str:
    return f"{v} KiB" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _optcr(v: Any) -> str:
    if not isinstance(v, int) or isinstance(v, bool):
        return str(v)
    return hex32(v) + (" (factory-clean)" if v == 0x0FFFAAED else "")


# name -> (label, how its value is said). Booleans not listed here read "yes"/"no".
FACTS: dict[str, tuple[str, Callable[[Any], str] | None]] = {
    "flash.app_reset": ("application reset vector", _address("reset vector")),
    "flash.app_sp": ("application initial stack pointer", _address("initial stack pointer")),
    "flash.app_code_present": ("application code at 0x08000000", None),
    "flash.app_vector_valid": ("application vector table valid", None),
    "flash.app_runnable": ("application can start", None),
    "flash.app_partial": ("application only partly written", None),
    "flash.app_hw": ("application built for HW", None),
    "flash.app_version": ("application firmware version", None),
    "flash.bootloader_present": ("bootloader in sector 11", None),
    "flash.bootloader_state": ("bootloader sector holds", None),
    "flash.bootloader_name": ("bootloader", None),
    "flash.buffer_present": ("update image in the buffer (sectors 8-10)", None),
    "flash.buffer_size": ("update image size", _bytes),
    "flash.buffer_hw": ("update image built for HW", None),
    "flash.buffer_crc_ok": ("update image passes its CRC", None),
    "flash.buffer_compressed": ("update image compressed", None),
    "flash.bytes_read": ("read over SWD", _bytes),
    "flash.config_pages": ("motor configuration pages", _pages),
    "flash.readable": ("flash readable over SWD", None),
    "swd.idcode": ("chip ID", _idcode),
    "swd.attempts": ("SWD connect", _attempts),
    "swd.clock_khz": ("SWD clock asked of the probe", lambda v: f"{v} kHz" if isinstance(v, int) else str(v)),
    "swd.clock_steps": ("SWD clock stepped down", _clock_steps),
    "swd.connect_mode": ("SWD connected by", lambda v: _MODES.get(v, str(v))),
    "swd.target_voltage": ("board voltage (measured by the probe)", _volts),
    "swd.flash_kib": ("flash size", _kib),
    "swd.rdp_byte": ("read protection byte", _rdp_byte),
    "swd.rdp_level": ("read protection level", None),
    "swd.optcr": ("option bytes (FLASH_OPTCR)", _optcr),
    "swd.bor_level": ("brown-out reset", _bor),
    "swd.wrp_sectors": ("write-protected sectors", _sectors),
    "swd.needs_reset": ("chip answers only under reset", None),
    "usb.debug_probes": ("debug probes on USB", _probes),
    "vesc.input_voltage": ("input voltage", _volts),
}


def _generic(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{hex32(v)} ({v})" if v >= 0x10000 else str(v)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ", ".join(_generic(x) for x in v) if v else "none"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_generic(x)}" for k, x in v.items()) if v else "none"
    return str(v)


def fact_words(name: str, value: Any) -> tuple[str, str]:
    """(label, what the value says) for one fact."""
    label, say = FACTS.get(name, (name.split(".", 1)[-1].replace("_", " "), None))
    try:
        text = say(value) if say else _generic(value)
    except (TypeError, ValueError, AttributeError):  # a report from elsewhere: say the value as it is
        text = _generic(value)
    return label, text


def evidence(facts: dict) -> list[tuple[str, str, str]]:
    """(group, label, words) of every established fact a person reads, grouped by source, in name order."""
    groups = {"swd": "SWD", "flash": "flash", "usb": "USB", "vesc": "VESC"}
    rows = []
    for name, value in sorted(facts.items()):
        if value is None or name in NOT_EVIDENCE or name.startswith(NOT_EVIDENCE_PREFIXES):
            continue
        label, text = fact_words(name, value)
        rows.append((groups.get(name.split(".", 1)[0], name.split(".", 1)[0]), label, text))
    return rows
