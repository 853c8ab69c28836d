"""Probe `core.state`: is the firmware in flash actually running? Halt the core, read where it is, resume it.

An expert who finds valid firmware but no USB halts the core and looks (issue 17): a HardFault handler, a locked-up
core, watchdog resets or a loop with interrupts off all mean the firmware does not run, whatever the cable.
Evidence only: nothing is written to flash or to any register that changes what the chip does; a core that was
running when the probe came is resumed before the probe returns (a spinning motor's PWM is frozen only for the
few register reads).

Registers read (ARMv7-M ARM, DDI 0403E):
- xPSR: IPSR (bits 8:0) is the active exception number, 0 in thread mode, 3 in HardFault (B1.4.2);
- DHCSR 0xE000EDF0: S_LOCKUP (bit 19), the core locked up (C1.6.2);
- CFSR 0xE000ED28 and HFSR 0xE000ED2C: what the fault was (B3.2.15, B3.2.16), in words by knowledge.fault_status
  (core.fault_bits: the bit names; core.fault_status: them in words; core.fault_family: image | stack | data |
  arith | null; core.fault_meaning: what it means for the rider);
- PRIMASK: interrupts off (a firmware that spins there never serves USB);
- RCC_CSR 0x40023874 (RM0090 7.3.21): reset flags; IWDGRSTF (29) / WWDGRSTF (30) say a watchdog reset it.
Facts: core.* (FACTS); core.run_state: runs | hardfault | lockup | watchdog-loop | hang | unknown;
core.script_sectors: the LispBM/QML sectors (of the generation flash.map found) holding data, which the firmware
loads at every start (bldc release_6_00 lispBM/lispif.c:63-69): a crash with a script there suspects the script.
"""
from __future__ import annotations

from ..flash_analysis import script_sectors
from ..knowledge.flash import BUFFER_BASE, FLASH_BASE, SECTORS
from .base import ProbeContext, ProbeResult, probe

FACTS = ("core.run_state", "core.was_running", "core.resumed", "core.pc", "core.xpsr", "core.ipsr", "core.primask",
         "core.lockup", "core.cfsr", "core.hfsr", "core.rcc_csr", "core.reset_flags", "core.pc_in_image",
         "core.script_sectors", "core.fault_bits", "core.fault_status", "core.fault_family",
         "core.fault_meaning")

DHCSR, CFSR, HFSR, RCC_CSR = 0xE000EDF0, 0xE000ED28, 0xE000ED2C, 0x40023874
S_LOCKUP = 1 << 19
RESET_FLAGS = ((31, "low-power"), (30, "window-watchdog"), (29, "independent-watchdog"), (28, "software"),
               (27, "power-on"), (26, "pin"), (25, "brown-out"))
WATCHDOG = {"window-watchdog", "independent-watchdog"}
RESET_PATH = 0x100  # a core this close after its reset handler's start is still starting (a watchdog loop)
EXCEPTIONS = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault"}


def in_image_code(pc: int) -> bool:
    """PC inside the application's code sectors (0, 3-7), not its config sectors, RAM, ROM or the bootloader."""
    return any(s.role == "app" and s.address <= pc < s.end for s in SECTORS) and FLASH_BASE <= pc < BUFFER_BASE


def classify(facts: dict, reset_handler: int | None) -> str:
    """What the registers say the firmware does (order: the strongest evidence first)."""
    if facts["core.lockup"]:
        return "lockup"
    if facts["core.ipsr"] in EXCEPTIONS:
        return "hardfault"
    pc = facts["core.pc"]
    starting = reset_handler is not None and reset_handler <= pc < reset_handler + RESET_PATH
    if WATCHDOG & set(facts["core.reset_flags"]) and starting:
        return "watchdog-loop"
    if facts["core.primask"] or not facts["core.pc_in_image"]:
        return "hang"
    return "runs"


def _read(target, facts: dict) -> None:
    facts["core.pc"] = target.read_core_register("pc")
    facts["core.xpsr"] = target.read_core_register("xpsr")
    facts["core.ipsr"] = facts["core.xpsr"] & 0x1FF
    facts["core.primask"] = target.read_core_register("primask") & 1
    facts["core.cfsr"] = target.read32(CFSR)
    facts["core.hfsr"] = target.read32(HFSR)
    facts["core.rcc_csr"] = csr = target.read32(RCC_CSR)
    facts["core.reset_flags"] = [name for bit, name in RESET_FLAGS if csr >> bit & 1]
    facts["core.pc_in_image"] = in_image_code(facts["core.pc"])


def _words(facts: dict) -> str:
    state = facts["core.run_state"]
    where = (f"PC 0x{facts['core.pc']:08X} " + ("inside" if facts["core.pc_in_image"] else "outside")
             + " the firmware's code")
    flags = ", ".join(facts["core.reset_flags"]) or "none"
    ipsr = facts["core.ipsr"]
    mode = "thread mode" if ipsr == 0 else f"in exception {ipsr} ({EXCEPTIONS.get(ipsr, 'interrupt')})"
    said = {"runs": "the firmware runs (seen in its own code, thread mode, interrupts on)",
            "hardfault": "the firmware crashed: the core sits in its HardFault handler",
            "lockup": "the core is locked up (a fault inside the fault handler)",
            "watchdog-loop": "the firmware keeps restarting: the watchdog resets it and the core is in its start-up",
            "hang": "the firmware hangs: " + ("interrupts off" if facts["core.primask"] else "not in its own code")}
    return (f"Core: {said[state]}; {where}, {mode}; CFSR 0x{facts['core.cfsr']:08X}, HFSR 0x{facts['core.hfsr']:08X}; "
            f"reset flags: {flags}")


def _fault_lines(facts: dict) -> list[str]:
    """The fault status registers in words, and what they mean for the rider (when the firmware does not run)."""
    from ..knowledge import fault_status

    cfsr, hfsr = facts["core.cfsr"], facts["core.hfsr"]
    facts["core.fault_bits"] = fault_status.names(cfsr, hfsr)
    facts["core.fault_status"] = fault_status.describe(cfsr, hfsr)
    facts["core.fault_family"] = fault_status.family(cfsr, hfsr)
    facts["core.fault_meaning"] = fault_status.meaning(cfsr, hfsr)
    if facts["core.run_state"] == "runs" and not facts["core.fault_bits"]:
        return []
    return [f"Core: fault status: {facts['core.fault_status']}",
            f"Core: what it means: {facts['core.fault_meaning']}"]


@probe("core.state", FACTS, "Looking at the running core")
def core_state(ctx: ProbeContext) -> ProbeResult:
    from pyocd.core import exceptions
    from pyocd.core.target import Target

    facts: dict = dict.fromkeys(FACTS)
    link = ctx.env.swd
    if not link.connected:
        return ProbeResult(facts, ["Core: not connected"], ok=False, error="not connected")
    target = link.target
    ctx.emit("Core: halting the core for a moment to see where the firmware is")
    try:
        state = target.get_state()
        facts["core.was_running"] = state in (Target.State.RUNNING, Target.State.SLEEPING)
        facts["core.lockup"] = state == Target.State.LOCKUP or bool(target.read32(DHCSR) & S_LOCKUP)
        halted_here = state != Target.State.HALTED  # running, asleep or locked up: halt, and resume after
        if halted_here:
            target.halt()
        try:
            _read(target, facts)
        finally:
            if halted_here:
                target.resume()  # leave it as it was found (a locked-up core returns to lockup)
                facts["core.resumed"] = True
    except exceptions.Error as exc:
        return ProbeResult(facts, [f"Core: reading the core's state failed: {exc}"], ok=False, error=str(exc))
    reset = ctx.facts.get("flash.app_reset")
    facts["core.run_state"] = classify(facts, reset & ~1 if isinstance(reset, int) else None)
    facts["core.script_sectors"] = script_sectors(ctx.facts)
    lines = [_words(facts)] + _fault_lines(facts)
    # bldc runs no stored script after a watchdog reset (release_6_00 lispBM/lispif.c:63-69): not a suspect then
    if facts["core.run_state"] not in ("runs", "watchdog-loop") and facts["core.script_sectors"]:
        lines.append("Core: a LispBM/QML script is stored (sector " + ", ".join(map(str, facts["core.script_sectors"]))
                     + ") and the firmware loads it at every start: the first suspect")
    if facts["core.resumed"]:
        lines.append("Core: resumed; it goes on as it was found")
    return ProbeResult(facts, lines)
