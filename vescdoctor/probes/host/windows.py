"""Checks of a real Windows host (docs/platforms.md, Windows).

Windows differs from Linux and macOS in two ways that matter for a repair:
- Drivers. libusb (from the libusb-package wheel, used by pyOCD and pyusb) can open a USB device only when WinUSB,
  libusbK or libusb0 is its driver. ST-Link/V2-1 and V3 and CMSIS-DAP v2 probes with Microsoft OS descriptors get
  WinUSB by themselves on Windows 10/11; an ST-Link/V2 needs ST's driver package STSW-LINK009 (it binds WinUSB), and
  a CMSIS-DAP clone without those descriptors needs WinUSB bound by hand with Zadig. Without one, libusb still lists
  the device but opening it fails with LIBUSB_ERROR_NOT_SUPPORTED, which pyusb raises as NotImplementedError.
  The VESC's CDC port gets Windows' own usbser.sys on Windows 10/11 (a COM port); Windows 7/8 need a CDC driver.
- Serial ports are opened exclusively and carry no per-user permission: a COM port held by another program (VESC
  Tool) refuses with "Access is denied" (winerror 5), never "busy". vescdoctor.probes.vesc classifies that as busy.
Which driver Windows bound to a device is read from the registry (winreg, imported where it is used).
"""
from __future__ import annotations

from typing import Any

from . import Check, PortChecks

ST_LINK_DRIVER = ("install ST's ST-Link driver package STSW-LINK009 (https://www.st.com/en/development-tools/"
                  "stsw-link009.html): unzip, run dpinst_amd64.exe, then unplug and replug the probe")
ZADIG = ("bind WinUSB to the probe with Zadig (https://zadig.akeo.ie): Options > List All Devices, pick the probe's "
         "CMSIS-DAP interface, choose WinUSB, Replace Driver; then unplug and replug the probe")
PROBE_FIX = (f"On Windows, an ST-Link: {ST_LINK_DRIVER}. A CMSIS-DAP probe: {ZADIG}. Then close any other "
             "program that uses the probe (STM32CubeProgrammer, OpenOCD, a GDB server)")
VESC_DRIVER = ("Windows 10/11 bind their own usbser driver to the VESC (0483:5740) when it is plugged in: if Zadig "
               "replaced it, open Device Manager, right-click the VESC, Uninstall device (tick 'delete the driver'), "
               "replug. Windows 7/8: install ST's Virtual COM Port driver STSW-STM32102 "
               "(https://www.st.com/en/development-tools/stsw-stm32102.html)")
USABLE = {"winusb", "libusbk", "libusb0"}  # the drivers libusb's Windows backend can open a device through
_ENUM_USB = r"SYSTEM\CurrentControlSet\Enum\USB"


def probe_fix(kind: str) -> str:
    return ST_LINK_DRIVER if kind.startswith("stlink") else ZADIG


def bound_drivers(vid: int, pid: int) -> list[str] | None:
    """The Service (driver) of every instance and interface (VID_xxxx&PID_yyyy[&MI_nn]) Windows has recorded for
    vid:pid, lowercased; [] for a device seen without a driver; None when the registry cannot be read."""
    import importlib

    try:
        winreg: Any = importlib.import_module("winreg")  # Windows only; Any: mypy on other OSes lacks its names
    except ImportError:
        return None
    prefix = f"VID_{vid:04X}&PID_{pid:04X}"
    services: list[str] = []
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _ENUM_USB) as usb:
            for name in _subkeys(winreg, usb):
                if name.upper().startswith(prefix):
                    with winreg.OpenKey(usb, name) as device:
                        services += _instance_services(winreg, device)
    except OSError:
        return None
    return services


def _subkeys(winreg, key) -> list[str]:
    names, index = [], 0
    while True:
        try:
            names.append(winreg.EnumKey(key, index))
        except OSError:
            return names
        index += 1


def _instance_services(winreg, device) -> list[str]:
    out = []
    for instance in _subkeys(winreg, device):
        try:
            with winreg.OpenKey(device, instance) as key:
                out.append(str(winreg.QueryValueEx(key, "Service")[0]).lower())
        except OSError:
            out.append("")  # an instance with no Service value: Windows found no driver
    return out


def driver_state(services: list[str] | None, libusb_open_error: str | None) -> str:
    """usable | missing | unknown, from the registry's drivers and libusb's own attempt to open the device."""
    if libusb_open_error == "no-driver":
        return "missing"
    if services is None:
        return "unknown" if libusb_open_error is None else "missing"
    return "usable" if USABLE & set(services) else "missing"


def port_checks(port: str | None) -> PortChecks:
    """Nothing to look at before opening: Windows has no serial group, and who holds a COM port is not visible
    without administrator tools. The open itself tells (vesc.query: 'Access is denied' is a held port)."""
    return PortChecks()


def doctor_checks(vesc_ports: list[str], probes_on_usb: list[dict]) -> list[Check]:
    """Windows' lines of `vescdoctor doctor`: the driver of every debug probe on USB, the VESC's COM port."""
    checks = []
    for probe in probes_on_usb:
        vid, pid = int(probe["vid"], 16), int(probe["pid"], 16)
        state = driver_state(bound_drivers(vid, pid), probe.get("open_error"))
        title = f"Driver of {probe['name']} ({probe['vid']}:{probe['pid']})"
        if state == "missing":
            checks.append(Check("probe-driver", title, "fail", "no WinUSB/libusb driver: pyOCD cannot open it",
                                probe_fix(probe["kind"])))
        else:
            checks.append(Check("probe-driver", title, "ok" if state == "usable" else "warn",
                                "WinUSB (or libusbK/libusb0) is bound" if state == "usable"
                                else "the bound driver could not be read"))
    from ...knowledge.usb_ids import VESC_CDC

    vesc = bound_drivers(*VESC_CDC)
    if vesc and not vesc_ports and "usbser" not in vesc:
        checks.append(Check("vesc-driver", "VESC serial driver", "fail",
                            f"the VESC was seen with driver {', '.join(sorted(set(vesc)) ) or 'none'}, not usbser: "
                            "no COM port", VESC_DRIVER))
    else:
        checks.append(Check("vesc-driver", "VESC serial driver", "ok",
                            "usbser (Windows' own CDC driver) gives the VESC a COM port" if vesc_ports or vesc
                            else "no VESC seen on this computer yet; Windows 10/11 need no driver for it"))
    return checks
