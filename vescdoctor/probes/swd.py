"""Probe `swd.connect`: find the debug probe, walk the connect ladder, read identity and option bytes.

Facts:
- swd.probe_found: a debug probe pyOCD can use is connected; swd.probe / swd.probe_uid: which.
- swd.target_voltage (V, None if the probe cannot tell), swd.powered (>= 1.5 V; None if unknown).
- swd.connected, swd.connect_mode (attach | under-reset), swd.needs_reset (answered only under reset),
  swd.attempts (each mode tried: ok, error, voltage, the SWD clock asked in kHz).
- swd.clock_khz: the SWD clock asked of the probe (its fastest, or lower after transfer errors; None: pyOCD's
  default); swd.clock_steps: each step down [{from_khz, to_khz, reason}] (target/swd_clock.py).
- swd.idcode, swd.chip (family), swd.core, swd.flash_kib, swd.uid (hex): the chip's identity; swd.dev_id,
  swd.rev_id (DBGMCU_IDCODE fields); swd.chip_ok: DEV_ID 0x413 and 1024 KiB (a VESC's STM32F405/407), false for
  anything else (verdict wrong-chip: nothing is written), with swd.chip_problem saying why.
- swd.probe_firmware_old: the probe's firmware version when pyOCD refuses it as too old (ST-Link < V2J24), else None.
- swd.rdp_level (0/1/2), swd.rdp_byte, swd.wrp_sectors (list), swd.bor_level, swd.optcr: the option bytes.
"""
from __future__ import annotations

from ..swdlink import POWERED_VOLTS
from .base import ProbeContext, ProbeResult, probe

FACTS = ("swd.probe_found", "swd.probe", "swd.probe_uid", "swd.target_voltage", "swd.powered", "swd.connected",
         "swd.connect_mode", "swd.needs_reset", "swd.attempts", "swd.idcode", "swd.chip", "swd.core",
         "swd.flash_kib", "swd.uid", "swd.rdp_level", "swd.rdp_byte", "swd.wrp_sectors", "swd.bor_level",
         "swd.optcr", "swd.dev_id", "swd.rev_id", "swd.chip_ok", "swd.chip_problem", "swd.probe_firmware_old",
         "swd.clock_khz", "swd.clock_steps")


def _attempt_lines(link) -> list[str]:
    """Each connect attempt (with its SWD clock when the clock came down) and the rider's words for the clock."""
    stepped = bool(link.clock_steps_json())
    out = []
    for attempt in link.attempts:
        at = f" at {attempt.swd_khz} kHz" if stepped and attempt.swd_khz else ""
        out.append(f"SWD: connect ({attempt.mode}): " + (f"answered{at}" if attempt.ok else
                                                          f"no answer{at}: {attempt.error}"))
    if link.clock_words():
        out.append(f"SWD: {link.clock_words()}")
    return out


def no_probe_on_usb(facts, env) -> bool:
    """USB was listed and holds no debug probe pyOCD could drive (knowledge.usb_ids recognises them as pyOCD does:
    ST-Link PIDs, "CMSIS-DAP" in the product string), and pyOCD could find none elsewhere (the environment's
    `unlisted_probe_possible`): then pyOCD is not even imported (seconds of start-up)."""
    if facts.get("usb.backend_ok") is not True or facts.get("usb.debug_probe_present") is not False:
        return False
    possible = getattr(env, "unlisted_probe_possible", None)
    return possible is not None and not possible()


@probe("swd.connect", FACTS, "Connecting to the chip over SWD")
def swd_connect(ctx: ProbeContext) -> ProbeResult:
    if no_probe_on_usb(ctx.facts, ctx.env):
        facts = dict.fromkeys(FACTS)
        facts.update({"swd.probe_found": False, "swd.connected": False, "swd.attempts": []})
        return ProbeResult(facts, ["SWD: no debug probe (none on USB)"])
    from pyocd.core import exceptions

    from ..target.chip_id import chip_problem, read_chip_identity
    from ..target.option_bytes import read_option_bytes

    facts = dict.fromkeys(FACTS)
    lines: list[str] = []
    link = ctx.env.swd
    ctx.emit("SWD: looking for a debug probe")
    connected = link.connect()
    facts.update({"swd.probe_found": link.probe_found, "swd.probe": link.probe_description,
                  "swd.probe_uid": link.probe_uid, "swd.attempts": link.attempts_json(), "swd.connected": connected,
                  "swd.clock_khz": link.swd_khz, "swd.clock_steps": link.clock_steps_json()})
    if not link.probe_found:
        lines.append(f"SWD: no debug probe ({link.probe_error})")
        return ProbeResult(facts, lines)
    facts["swd.probe_firmware_old"] = link.probe_firmware_old
    if link.probe_firmware_old:
        lines.append(f"SWD: probe {link.probe_uid or 'ST-Link'}: its firmware {link.probe_firmware_old} is too old "
                     "for pyOCD (ST-Link V2J24 or later needed); the target voltage was not measured")
        return ProbeResult(facts, lines)
    volts = link.target_voltage
    facts["swd.target_voltage"] = round(volts, 2) if volts is not None else None
    facts["swd.powered"] = None if volts is None else volts >= POWERED_VOLTS
    lines.append(f"SWD: probe {link.probe_description or link.probe_uid}; target voltage "
                 + (f"{volts:.2f} V" if volts is not None else "unknown"))
    lines += _attempt_lines(link)
    if not connected:
        return ProbeResult(facts, lines)
    facts["swd.connect_mode"] = link.mode
    facts["swd.needs_reset"] = link.mode == "under-reset"
    try:
        ident = read_chip_identity(link.target)
        ob = read_option_bytes(link.target)
    except exceptions.Error as exc:
        lines.append(f"SWD: reading the chip's identity failed: {exc}")
        return ProbeResult(facts, lines, ok=False, error=str(exc))
    facts.update({"swd.idcode": ident.idcode, "swd.chip": ident.family, "swd.core": ident.core,
                  "swd.flash_kib": ident.flash_kib, "swd.uid": ident.uid_hex, "swd.rdp_level": ob.rdp_level,
                  "swd.rdp_byte": ob.rdp, "swd.wrp_sectors": list(ob.wrp_sectors), "swd.bor_level": ob.bor_level,
                  "swd.optcr": ob.optcr})
    problem = chip_problem(ident.idcode, ident.flash_kib)
    facts.update({"swd.dev_id": ident.dev_id, "swd.rev_id": ident.rev_id, "swd.chip_ok": problem is None,
                  "swd.chip_problem": problem})
    lines.append(f"SWD: {ident.family} rev {ident.revision}, {ident.core}, {ident.flash_kib} KiB flash, "
                 f"IDCODE 0x{ident.idcode:08X}")
    if problem:
        lines.append(f"SWD: NOT a VESC's STM32F405/407 with 1 MiB: {problem}; vescdoctor writes nothing to it")
    protection = {0: "none (level 0)", 1: "LEVEL 1: flash unreadable", 2: "LEVEL 2: permanent"}[ob.rdp_level]
    lines.append(f"SWD: read protection {protection}; write protection: "
                 + (", ".join(f"sector {s}" for s in ob.wrp_sectors) or "none"))
    return ProbeResult(facts, lines)
