"""`vescdoctor doctor`: this computer, checked for a repair, one Check (ok / warn / fail, with the fix) per line.

`gather()` looks at the machine once (USB through libusb, pyOCD's probes, serial ports); `run_checks(seen)` turns
that into checks: the ones every OS shares here, then the OS's own from probes/host/<os>.py (one home per OS).
Nothing here changes the machine; opening a VESC port for a moment is the only thing it does to a device.
`problems(env)` is what the TUI's no-probe verdict lists: the checks that did not pass, seen through the session's
environment (on the bench: its USB bus and ports, without this OS's own checks, which are about the real machine).
"""
from __future__ import annotations

import platform
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..knowledge.usb_ids import DEBUG_PROBES, VESC_CDC
from ..probes import host
from ..probes.host import Check

BACKUP_NEEDS = 8 * 1024 * 1024  # a backup is the 1 MiB flash plus its sidecar; room for a few, and the report
MIN_PYTHON = (3, 10)
STLINK_FIRMWARE = ("update the probe's firmware with ST's STSW-LINK007 (https://www.st.com/en/development-tools/"
                   "stsw-link007.html)")


@dataclass
class Seen:
    """What the machine showed, gathered once (tests build one by hand)."""
    usb_error: str | None = None  # why libusb could not list devices; None when it could
    libusb: str | None = None  # the libusb library in use
    usb_probes: list[dict] = field(default_factory=list)  # {kind, name, vid, pid, serial, open_error}
    pyocd_probes: list[dict] = field(default_factory=list)  # {description, uid, firmware, error}
    vesc_ports: list[str] = field(default_factory=list)
    backup_dir: Path | None = None
    broken: list[Check] = field(default_factory=list)  # what could not be looked at, as failed checks
    open_port: Any = None  # how a VESC port is opened (serial.serial_for_url when None; the bench's own otherwise)
    simulated: bool = False  # seen on the virtual bench: this OS's own checks do not apply to it


def gather(env: Any = None) -> Seen:
    """What this computer shows, or (with `env`, a session's environment) what that environment's USB bus and serial
    ports show: on the bench the simulated ones, and its probes as its bus lists them (pyOCD's search is the host's)."""
    from ..environment import host_usb_backend
    from ..fixes.backup import default_backup_dir
    from ..probes.usb import usb_devices

    simulated = bool(env is not None and env.is_sim)
    backend = env.usb_backend if env is not None else host_usb_backend()
    seen = Seen(backup_dir=default_backup_dir(), simulated=simulated,
                open_port=env.open_serial if env is not None else None)
    devices, seen.usb_error = usb_devices(backend)
    seen.libusb = "the bench's USB bus" if simulated else _libusb_name(backend)
    for d in devices or []:
        known = DEBUG_PROBES.get((d["vid"], d["pid"]))
        if known:
            seen.usb_probes.append({"kind": known.kind, "name": known.name, "vid": f"{d['vid']:04x}",
                                    "pid": f"{d['pid']:04x}", "serial": d["serial"], "open_error": d["open_error"]})
    try:
        seen.pyocd_probes = _bench_probes(seen.usb_probes) if simulated else _pyocd_probes()
    except Exception as exc:  # a driver or backend that breaks pyOCD's search: said, and the other checks still run
        seen.broken.append(Check("probe", "Debug probes", "fail", f"pyOCD could not list probes: {exc}",
                                 _probe_fix()))
    try:
        from serial.tools import list_ports

        ports = env.serial_ports() if env is not None else list_ports.comports()
        seen.vesc_ports = [p.device for p in ports if (p.vid, p.pid) == VESC_CDC]
    except Exception as exc:  # pyserial's lister raises OSError or its own errors depending on the OS
        seen.broken.append(Check("vesc-port", "Serial ports", "fail", f"the serial ports could not be listed: {exc}",
                                 None))
    return seen


def problems(env: Any, backup_dir: Path | None = None) -> list[Check]:
    """The checks of `vescdoctor doctor` that did not pass (fail first, then warn), seen through `env`; the space
    for backups where they go (`backup_dir`, else the default place)."""
    seen = gather(env)
    if backup_dir is not None:
        seen.backup_dir = Path(backup_dir)
    checks = [c for c in run_checks(seen) if c.status != "ok"]
    return sorted(checks, key=lambda c: c.status != "fail")


def _bench_probes(usb_probes: list[dict]) -> list[dict]:
    """On the bench, the probes its bus shows that open (pyOCD's own search looks at this computer's USB)."""
    return [{"description": p["name"], "uid": p["serial"], "firmware": None, "error": None}
            for p in usb_probes if p["open_error"] is None]


def _libusb_name(backend: Any) -> str | None:
    if backend is None:
        return None
    lib = getattr(getattr(backend, "lib", None), "_name", None)
    return f"libusb ({lib})" if lib else "libusb"


def _pyocd_probes() -> list[dict]:
    """Every probe pyOCD can open, with the firmware version it reports once opened (opening touches no target).
    pyOCD's probes read their options from a session when opened (pyocd/probe/stlink_probe.py, open): one that is
    never opened (auto_open=False) carries them, so no target is connected."""
    from pyocd.core.helpers import ConnectHelper
    from pyocd.core.session import Session

    out = []
    for probe in ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False):
        entry = {"description": probe.description, "uid": probe.unique_id, "firmware": None, "error": None}
        try:
            Session(probe, auto_open=False, no_config=True, target_override="stm32f405rg")
            probe.open()
            try:
                link = getattr(probe, "_link", None)
                entry["firmware"] = getattr(link, "version_str", None) or getattr(link, "firmware_version", None)
            finally:
                probe.close()
        except Exception as exc:  # pyOCD raises ProbeError, USBError or OSError depending on backend and OS
            entry["error"] = str(exc) or type(exc).__name__
        out.append(entry)
    return out


def run_checks(seen: Seen) -> list[Check]:
    checks = [_python_check(), _pyocd_check(), _usb_check(seen), *_probe_checks(seen), *_serial_checks(seen),
              *seen.broken]
    module = None if seen.simulated else host.current()
    if module is not None:
        checks += module.doctor_checks(seen.vesc_ports, seen.usb_probes)
    if seen.backup_dir is not None:
        checks.append(backup_space_check(seen.backup_dir))
    return checks


def _python_check() -> Check:
    ok = sys.version_info[:2] >= MIN_PYTHON
    return Check("python", "Python", "ok" if ok else "fail",
                 f"Python {platform.python_version()} on {platform.system() or sys.platform}",
                 None if ok else "install Python 3.10 or newer (https://www.python.org/downloads/)")


def _pyocd_check() -> Check:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return Check("pyocd", "pyOCD", "ok", f"pyOCD {version('pyocd')}")
    except PackageNotFoundError:
        return Check("pyocd", "pyOCD", "fail", "pyOCD is not installed", "pip install --force-reinstall vescdoctor")


def _usb_check(seen: Seen) -> Check:
    if seen.usb_error is None:
        return Check("usb", "USB access", "ok", f"{seen.libusb or 'libusb'} lists USB devices")
    fix = "pip install --force-reinstall libusb-package"
    if host.os_name() == "linux":
        fix += " (or: sudo apt install libusb-1.0-0)"
    return Check("usb", "USB access", "fail", seen.usb_error, fix)


def _probe_fix() -> str:
    module = host.current()
    return getattr(module, "PROBE_FIX", "close any other program that uses the probe, then replug it")


def _probe_checks(seen: Seen) -> list[Check]:
    """One line per probe pyOCD can use (with its firmware), one per probe on USB it cannot, or one saying none."""
    checks = []
    for p in seen.pyocd_probes:
        if p["error"]:
            fix = STLINK_FIRMWARE if "firmware" in p["error"].lower() else _probe_fix()
            checks.append(Check("probe", f"Debug probe {p['description']}", "fail", p["error"], fix))
        else:
            firmware = f", firmware {p['firmware']}" if p["firmware"] else ""
            checks.append(Check("probe", f"Debug probe {p['description']}", "ok", f"unique id {p['uid']}{firmware}"))
    uids = {p["uid"] for p in seen.pyocd_probes}
    unusable = [p for p in seen.usb_probes if p["serial"] is None or p["serial"] not in uids]
    for p in unusable[:max(0, len(seen.usb_probes) - len(seen.pyocd_probes))]:
        why = {"no-driver": "no driver libusb can open it through", "access": "this user may not open it"}.get(
            p["open_error"], "pyOCD cannot open it")
        checks.append(Check("probe", f"Debug probe {p['name']} ({p['vid']}:{p['pid']})", "fail",
                            f"on USB, but {why}", _probe_fix()))
    if not checks:
        checks.append(Check("probe", "Debug probe", "warn", "none plugged in: a board whose firmware is gone is "
                            "repaired through SWD", "plug in an ST-Link or CMSIS-DAP probe (vescdoctor shows the "
                            "wiring)"))
    return checks


def _serial_checks(seen: Seen) -> list[Check]:
    """Each VESC port opened for a moment, as vesc.query would; a refusal is classified as vesc.query does."""
    from ..probes.vesc import classify_open_error

    if not seen.vesc_ports:
        return [Check("vesc-port", "VESC serial port", "ok", "no VESC plugged in now (plug one in to check its port)")]
    import serial

    open_port = seen.open_port or serial.serial_for_url
    checks = []
    for device in seen.vesc_ports:
        try:
            open_port(device, baudrate=115200, timeout=0.1, exclusive=True).close()
        except Exception as exc:  # SerialException, OSError or ValueError depending on the platform
            kind = classify_open_error(exc)
            fix = {"busy": "close VESC Tool or the serial terminal that holds it",
                   "permission": "sudo usermod -aG dialout $USER, then log out and in again"}.get(kind)
            checks.append(Check("vesc-port", f"VESC port {device}", "fail", str(exc), fix))
            continue
        checks.append(Check("vesc-port", f"VESC port {device}", "ok", "opens"))
    return checks


def backup_space_check(directory: Path) -> Check:
    """Free space where backups go (the directory, or its nearest existing parent before the first backup)."""
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    try:
        free = shutil.disk_usage(existing).free
    except OSError as exc:
        return Check("backup-space", "Space for backups", "fail", f"{directory}: {exc}",
                     "pass --backup-dir DIR to fix/restore with a folder you can write to")
    mib = free // (1024 * 1024)
    if free < BACKUP_NEEDS:
        return Check("backup-space", "Space for backups", "fail", f"{mib} MiB free at {directory}",
                     f"free at least {BACKUP_NEEDS // (1024 * 1024)} MiB there, or pass --backup-dir DIR")
    return Check("backup-space", "Space for backups", "ok", f"{mib} MiB free at {directory}")
