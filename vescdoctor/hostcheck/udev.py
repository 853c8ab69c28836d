"""The Linux udev rules `vescdoctor doctor --udev-rules` prints: debug probes a normal user may open, and the VESC's
serial port left alone by ModemManager. Sources (docs/platforms.md): pyOCD's udev/ folder (pyocd/pyOCD master,
udev/49-stlinkv2.rules, 49-stlinkv3.rules, 50-cmsis-dap.rules: MODE:="0666" per VID:PID) and its ST-Link PID table
(pyocd/probe/stlink/usb.py, USB_PID_EP_MAP); ModemManager's ID_MM_DEVICE_IGNORE (its 77-mm-usb-device-blacklist
rules set that property on devices it must not probe).
"""
from __future__ import annotations

from ..knowledge.usb_ids import DEBUG_PROBES, VESC_CDC

RULES_FILE = "/etc/udev/rules.d/50-vescdoctor.rules"
INSTALL = (f"vescdoctor doctor --udev-rules | sudo tee {RULES_FILE} && sudo udevadm control --reload "
           "&& sudo udevadm trigger")

# The ST-Link PIDs pyOCD drives (0483:3748 V2, 374a/374b/3752 V2-1, 374d-374f/3753-3757 V3); 374d is the V3's
# bootloader, listed so that its firmware can be updated without root.
STLINK_PIDS = ("3748", "374a", "374b", "374d", "374e", "374f", "3752", "3753", "3754", "3755", "3757")

_HEADER = f"""\
# vescdoctor: udev rules for SWD debug probes (ST-Link, CMSIS-DAP) and the VESC's USB serial port.
#
# Install (then unplug and replug the probe and the VESC):
#   {INSTALL}
# Check that udev accepts it:   udevadm verify {RULES_FILE}
# Remove:                       sudo rm {RULES_FILE} && sudo udevadm control --reload
#
# MODE:="0666" lets every user of this computer open the probes, as pyOCD's own rules do (pyOCD udev/ folder). On a
# shared computer replace it with TAG+="uaccess" (the user at the seat only) or GROUP:="plugdev", MODE:="0660".
"""


def rules_text() -> str:
    """The rules file, comments included (how to install it is at its top)."""
    lines = [_HEADER, "# ST-Link V2, V2-1, V3 (VID 0483)"]
    for stlink_pid in STLINK_PIDS:
        lines.append(f'SUBSYSTEMS=="usb", ATTRS{{idVendor}}=="0483", ATTRS{{idProduct}}=="{stlink_pid}", '
                     'MODE:="0666"')
    lines += ["", "# CMSIS-DAP probes with known IDs"]
    for (vid, pid), probe in sorted(DEBUG_PROBES.items()):
        if probe.kind == "cmsis-dap":
            lines.append(f'# {vid:04x}:{pid:04x} {probe.name}')
            lines.append(f'SUBSYSTEM=="usb", ATTR{{idVendor}}=="{vid:04x}", ATTR{{idProduct}}=="{pid:04x}", '
                         'MODE:="0666"')
    lines += [
        "",
        "# Any other CMSIS-DAP probe (clones). The CMSIS-DAP spec makes a probe say \"CMSIS-DAP\" in its product or",
        "# interface string; udev grants access per device node, and an interface's rule cannot change its",
        "# device's node, so these match the product string: v2 (bulk, vendor class 0xff) on the USB device,",
        "# v1 (HID) on its hidraw node.",
        'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{product}=="*CMSIS-DAP*", MODE:="0666"',
        'SUBSYSTEM=="hidraw", ATTRS{product}=="*CMSIS-DAP*", MODE:="0666"',
        "",
        f"# The VESC's serial port ({VESC_CDC[0]:04x}:{VESC_CDC[1]:04x}, ChibiOS CDC): ModemManager must not probe it "
        "as a modem",
        "# (its AT commands reach the VESC firmware and hold the port while VESC Tool or vescdoctor want it).",
        f'SUBSYSTEMS=="usb", ATTRS{{idVendor}}=="{VESC_CDC[0]:04x}", ATTRS{{idProduct}}=="{VESC_CDC[1]:04x}", '
        'ENV{ID_MM_DEVICE_IGNORE}="1"',
        "",
    ]
    return "\n".join(lines)
