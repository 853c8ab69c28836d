"""This computer's side of a repair, per operating system, behind one interface.

`current()` gives the module for the OS this process runs on (sys.platform, read at each call so that tests can
play another OS): linux.py, darwin.py (macOS) or windows.py, None elsewhere. Each module imports its OS-only
modules (grp, pwd, winreg) inside the functions that need them, so every module imports on every OS, and offers:

- `port_checks(port: str | None) -> PortChecks`: what on this host keeps the VESC's serial port from working.
  Facts are the usb.* host facts of probes/usb.py (None where the OS has no such thing or cannot tell).
- `doctor_checks(ctx) -> list[Check]`: that OS's lines of `vescdoctor doctor` (vescdoctor/hostcheck/).
- `PROBE_FIX`: what to do when a debug probe is on USB but cannot be opened.

None of the checks changes anything.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

PORT_FACTS = ("usb.user_in_serial_group", "usb.port_accessible", "usb.port_mode", "usb.port_holders",
              "usb.modemmanager_running", "usb.udev_mm_ignore")


@dataclass
class PortChecks:
    facts: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(PORT_FACTS))
    issues: list[str] = field(default_factory=list)  # codes, as usb.host_issues lists them
    lines: list[str] = field(default_factory=list)  # for the transcript


@dataclass
class Check:
    """One line of `vescdoctor doctor`: ok | warn | fail, what was seen, and the exact command or download that fixes
    it (None when there is nothing to do)."""
    id: str
    title: str
    status: str
    detail: str
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status, "detail": self.detail, "fix": self.fix}


def os_name() -> str:
    """linux | macos | windows | other: the OS this process runs on."""
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return "other"


def current() -> ModuleType | None:
    """The host-check module of this OS, None for an OS vescdoctor has no checks for."""
    name = {"linux": "linux", "macos": "darwin", "windows": "windows"}.get(os_name())
    if name is None:
        return None
    import importlib

    return importlib.import_module(f".{name}", __name__)


def holders_text(holders: list[dict]) -> str:
    return ", ".join(f"{h['program']} (pid {h['pid']})" for h in holders)
