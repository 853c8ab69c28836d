"""Probe `usb.scan`: what is on USB and on the serial ports, and on a real host what keeps the port or probe closed.

Facts (every one always set; None where it cannot be known; all JSON-serialisable):
- usb.backend_ok: bool. pyusb could list devices (False: no libusb on this machine, or listing failed).
- usb.vesc_present: bool. A VESC CDC device (0483:5740) is on USB or among the serial ports.
- usb.vesc_count: int. How many VESC CDC devices (several VESCs plugged in at once are counted, the first is used).
- usb.vesc_port: str | None. The serial device of the first VESC (/dev/ttyACM0, COM5, or a bench vescsim:// URL).
- usb.vesc_usb_serial: str | None. Its USB serial string ("304"; "301" up to FW 4.02).
- usb.dfu_present: bool | None. The STM32 system bootloader (0483:df11) is on USB: BOOT0 was high at reset.
- usb.debug_probes: list | None. Every SWD probe on USB: [{kind, name, vid, pid, serial, open_error}], kind being
  stlink-v1 | stlink-v2 | stlink-v2-1 | stlink-v3 | cmsis-dap; vid/pid as "0483" / "3748" strings; open_error
  what libusb said when asked for its serial: null (opened), "no-driver" (LIBUSB_ERROR_NOT_SUPPORTED: on Windows,
  no WinUSB/libusbK/libusb0 driver bound), "access" (EACCES: on Linux, no udev rule), "other".
- usb.host_os: "linux" | "macos" | "windows" | "other". The OS vescdoctor runs on (the next steps depend on it).
- usb.probe_driver_missing: bool | None. On Windows: a debug probe is on USB but has no driver libusb can open it
  through (None on other systems).
- usb.debug_probe_present: bool | None.
- usb.serial_ports: list. Every serial port with USB ids: [{device, vid, pid, description}] (ids as hex strings).
- usb.user_in_serial_group: bool | None. Root, or dialout/uucp among this process's groups (real Linux only).
- usb.port_accessible: bool | None. This process may read and write usb.vesc_port (real Linux and macOS).
- usb.port_mode: str | None. E.g. "crw-rw---- root:dialout" (real Linux only).
- usb.port_holders: list | None. Other processes holding usb.vesc_port open: [{pid, program}] (real Linux: /proc;
  macOS: lsof).
- usb.modemmanager_running: bool | None. ModemManager runs (it probes new CDC ports; real Linux only).
- usb.udev_mm_ignore: bool | None. A udev rule sets ID_MM_DEVICE_IGNORE for 0483:5740 (real Linux only).
- usb.host_issues: list | None. What on this host keeps the VESC port from working, as codes:
  not-in-serial-group, port-not-accessible, port-held, modemmanager-may-grab-port, no-usb-backend.
  None on the bench and on other systems (the checks only mean something for a real port). The checks per OS are
  in probes/host/ (linux.py, darwin.py, windows.py).
"""
from __future__ import annotations

import errno
from typing import Any

from ..knowledge.usb_ids import DEBUG_PROBES, STM32_DFU, VESC_CDC, debug_probe, vid_pid
from . import host
from .base import ProbeContext, ProbeResult, probe

FACTS = (
    "usb.backend_ok", "usb.vesc_present", "usb.vesc_count", "usb.vesc_port", "usb.vesc_usb_serial",
    "usb.dfu_present", "usb.debug_probes", "usb.debug_probe_present", "usb.serial_ports",
    "usb.user_in_serial_group", "usb.port_accessible", "usb.port_mode", "usb.port_holders",
    "usb.modemmanager_running", "usb.udev_mm_ignore", "usb.host_issues", "usb.host_os", "usb.probe_driver_missing",
)


def _printable_serial(value: str | None) -> str | None:
    """ST-Link/V2 firmware sends its serial as raw bytes; show those as hex, as pyOCD does."""
    if value is None:
        return None
    if value.isprintable():
        return value
    return "".join(f"{ord(c) & 0xFF:02X}" for c in value)


def usb_devices(backend: Any) -> tuple[list[dict] | None, str | None]:
    """[{vid, pid, serial}] of every device pyusb sees, or (None, why) when it cannot list them."""
    import usb.core
    import usb.util

    try:
        found = list(usb.core.find(find_all=True, backend=backend))
    except usb.core.NoBackendError:
        return None, "pyusb found no USB backend (libusb is not installed)"
    except (usb.core.USBError, OSError) as exc:
        return None, f"listing USB devices failed: {exc}"
    out = []
    for dev in found:
        entry = {"vid": dev.idVendor, "pid": dev.idProduct, "serial": None, "product": None, "open_error": None}
        listed = (dev.idVendor, dev.idProduct) in DEBUG_PROBES or (dev.idVendor, dev.idProduct) == VESC_CDC
        try:
            if listed and dev.iSerialNumber:
                entry["serial"] = _printable_serial(usb.util.get_string(dev, dev.iSerialNumber))
            if not listed and dev.iProduct:  # a CMSIS-DAP probe says so in its product string (as pyOCD reads it)
                entry["product"] = _printable_serial(usb.util.get_string(dev, dev.iProduct))
        except (usb.core.USBError, ValueError, NotImplementedError, OSError) as exc:
            if listed:
                entry["open_error"] = open_error_kind(exc)  # the device cannot be opened: its serial stays unknown
        finally:
            usb.util.dispose_resources(dev)
        out.append(entry)
    return out, None


def open_error_kind(exc: BaseException) -> str:
    """no-driver | access | other, from what pyusb raised on opening a device. pyusb's libusb1 backend raises
    NotImplementedError for LIBUSB_ERROR_NOT_SUPPORTED (usb/backend/libusb1.py, _check), which libusb's Windows
    backend returns for a device whose driver is not WinUSB, libusbK or libusb0."""
    if isinstance(exc, NotImplementedError):
        return "no-driver"
    if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
        return "access"
    # pyusb 1.3 Device.langids swallows the open's USBError (EACCES on Linux without a udev rule) and get_string then
    # raises ValueError("The device has no langid (permission issue, ...)") (usb/core.py langids, usb/util.py
    # get_string). A debug probe always has string descriptors, so for one of them that is the permission.
    if isinstance(exc, ValueError) and "no langid" in str(exc):
        return "access"
    return "other"


@probe("usb.scan", provides=FACTS, title="Looking at USB and the serial ports")
def scan(ctx: ProbeContext) -> ProbeResult:
    env = ctx.env
    facts: dict[str, Any] = dict.fromkeys(FACTS)
    lines: list[str] = []

    devices, usb_error = usb_devices(env.usb_backend)
    facts["usb.backend_ok"] = devices is not None
    ports = [p for p in env.serial_ports() if p.vid is not None]
    facts["usb.serial_ports"] = [{"device": p.device, "vid": f"{p.vid:04x}", "pid": f"{p.pid:04x}",
                                  "description": p.description} for p in ports]

    vesc_ports = [p for p in ports if (p.vid, p.pid) == VESC_CDC]
    vesc_on_usb = [d for d in devices or [] if (d["vid"], d["pid"]) == VESC_CDC]
    facts["usb.vesc_count"] = max(len(vesc_ports), len(vesc_on_usb))
    facts["usb.vesc_present"] = facts["usb.vesc_count"] > 0
    if vesc_ports:
        facts["usb.vesc_port"] = vesc_ports[0].device
        facts["usb.vesc_usb_serial"] = vesc_ports[0].serial_number
    elif vesc_on_usb:
        facts["usb.vesc_usb_serial"] = vesc_on_usb[0]["serial"]
    if devices is None:
        lines.append(f"USB: {usb_error}; only the serial ports were looked at")
    if vesc_ports:
        extra = f" ({len(vesc_ports)} VESCs connected; using the first)" if len(vesc_ports) > 1 else ""
        lines.append(f"USB: VESC ({vid_pid(*VESC_CDC)}) on {vesc_ports[0].device}{extra}")
    elif vesc_on_usb:
        lines.append(f"USB: VESC ({vid_pid(*VESC_CDC)}) is on USB but has no serial port (driver not bound?)")
    else:
        lines.append(f"USB: no VESC ({vid_pid(*VESC_CDC)}) found")

    if devices is not None:
        facts["usb.dfu_present"] = any((d["vid"], d["pid"]) == STM32_DFU for d in devices)
        if facts["usb.dfu_present"]:
            lines.append(f"USB: STM32 DFU bootloader ({vid_pid(*STM32_DFU)}): the chip started its system "
                         "bootloader (BOOT0 high)")
        probes = []
        for d in devices:
            known = debug_probe(d["vid"], d["pid"], d.get("product"))
            if known:
                probes.append({"kind": known.kind, "name": known.name, "vid": f"{d['vid']:04x}",
                               "pid": f"{d['pid']:04x}", "serial": d["serial"], "open_error": d["open_error"],
                               "usable": known.usable})
        facts["usb.debug_probes"] = probes
        facts["usb.debug_probe_present"] = bool(probes)
        for p in probes:
            serial = f", serial {p['serial']}" if p["serial"] else ""
            lines.append(f"USB: debug probe {p['name']} ({p['vid']}:{p['pid']}){serial}"
                         + ("" if p["usable"] else ": not usable for SWD (unplug and replug it; a V3 in DFU mode "
                            "waits for STM32CubeProgrammer's ST-Link upgrade)"))
        if not probes:
            lines.append("USB: no debug probe (ST-Link or CMSIS-DAP) found")

    facts["usb.host_os"] = host.os_name()
    lines += _probe_driver_lines(facts)
    if not env.is_sim:
        lines += _host_checks(facts, usb_error is not None)
    return ProbeResult(facts, lines)


def _probe_driver_lines(facts: dict[str, Any]) -> list[str]:
    """A probe libusb lists but cannot open: on Windows it has no usable driver (the bench models that too), on Linux
    no udev rule lets this user open it."""
    probes = facts["usb.debug_probes"]
    if probes is None:
        return []
    if facts["usb.host_os"] == "windows":
        missing = [p for p in probes if p["open_error"] == "no-driver"]
        facts["usb.probe_driver_missing"] = bool(missing)
        return [f"Host: {p['name']} ({p['vid']}:{p['pid']}) has no WinUSB driver: libusb cannot open it"
                for p in missing]
    return [f"Host: {p['name']} ({p['vid']}:{p['pid']}) may not be opened by this user (no udev rule: "
            "vescdoctor doctor --udev-rules)" for p in probes if p["open_error"] == "access"]


def _host_checks(facts: dict[str, Any], no_backend: bool) -> list[str]:
    module = host.current()
    if module is None:
        return []
    checks = module.port_checks(facts["usb.vesc_port"])
    facts.update(checks.facts)
    if no_backend:
        checks.issues.append("no-usb-backend")
    facts["usb.host_issues"] = checks.issues
    return checks.lines
