"""Checks of a real macOS host (docs/platforms.md, macOS).

macOS needs no driver and no permission for either side: the VESC's CDC port comes up as /dev/cu.usbmodemNNN with
Apple's own CDC driver (AppleUSBACMData), its device nodes are open to every user (crw-rw-rw- root:wheel), and libusb
(from the libusb-package wheel) opens ST-Link and CMSIS-DAP probes without a kernel extension. What can still go
wrong is another program holding the port: VESC Tool opens it exclusively. `lsof` (shipped with macOS) names it.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from . import Check, PortChecks, holders_text

PROBE_FIX = ("close any other program that uses the probe (STM32CubeProgrammer, OpenOCD, a GDB server), unplug and "
             "replug it; macOS needs no driver for ST-Link or CMSIS-DAP")


def port_accessible(device: str) -> bool | None:
    if not os.path.exists(device):
        return None
    return os.access(device, os.R_OK | os.W_OK)


def parse_lsof(text: str) -> list[dict]:
    """[{pid, program}] from `lsof -F pc` output (one field per line: p<pid>, c<command>)."""
    holders: list[dict] = []
    for line in text.splitlines():
        if line.startswith("p") and line[1:].isdigit():
            holders.append({"pid": int(line[1:]), "program": "?"})
        elif line.startswith("c") and holders:
            holders[-1]["program"] = line[1:]
    return holders


def port_holders(device: str) -> list[dict] | None:
    """Other processes with the device open, from lsof; None when lsof is not there or failed."""
    lsof = shutil.which("lsof")
    if lsof is None or not os.path.exists(device):
        return None
    try:
        run = subprocess.run([lsof, "-F", "pc", "--", device], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if run.returncode not in (0, 1):  # 1: nobody has it open
        return None
    me = os.getpid()
    return [h for h in parse_lsof(run.stdout) if h["pid"] != me]


def port_checks(port: str | None) -> PortChecks:
    out = PortChecks()
    if port:
        out.facts["usb.port_accessible"] = port_accessible(port)
        out.facts["usb.port_holders"] = port_holders(port)
    if out.facts["usb.port_accessible"] is False:
        out.issues.append("port-not-accessible")
        out.lines.append(f"Host: this user may not open {port}")
    if out.facts["usb.port_holders"]:
        out.issues.append("port-held")
        out.lines.append(f"Host: {port} is held open by {holders_text(out.facts['usb.port_holders'])}")
    return out


def doctor_checks(vesc_ports: list[str], probes_on_usb: list[dict]) -> list[Check]:
    checks = [Check("drivers", "Drivers", "ok", "macOS needs none for the VESC (CDC) or ST-Link/CMSIS-DAP probes")]
    for port in vesc_ports:
        holders = port_holders(port)
        if holders:
            checks.append(Check("port-holders", f"VESC port {port}", "fail", f"held open by {holders_text(holders)}",
                                "close VESC Tool or the serial terminal that holds it"))
        elif holders is None:
            checks.append(Check("port-holders", f"VESC port {port}", "warn",
                                "lsof is not available: cannot tell who holds the port", None))
        else:
            checks.append(Check("port-holders", f"VESC port {port}", "ok", "no other program holds it"))
    return checks
