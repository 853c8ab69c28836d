"""Checks of a real Linux host that keep a VESC's serial port or a debug probe from working (reference:
vesc-stm32.md, Linux pitfalls; docs/platforms.md).

Each function answers one question and returns None when it cannot tell (no /proc, no permission to look). None of
them changes anything. They are for real /dev/tty* ports only (the bench's ports are not device nodes). grp and pwd
are imported where they are used: this module imports on Windows too.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from . import Check, PortChecks, holders_text

SERIAL_GROUPS = ("dialout", "uucp")  # Debian/Ubuntu/Fedora, Arch
UDEV_RULE_DIRS = ("/etc/udev/rules.d", "/run/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d")


def in_serial_group() -> bool | None:
    """Whether this process may use serial ports by group: root, or dialout/uucp among its groups *now*
    (a user just added to dialout is not in it until they log in again, and that is exactly what matters)."""
    import grp

    if os.geteuid() == 0:
        return True
    gids = set(os.getgroups()) | {os.getegid()}
    known = []
    for name in SERIAL_GROUPS:
        try:
            known.append(grp.getgrnam(name).gr_gid)
        except KeyError:
            continue
    if not known:
        return None
    return any(gid in gids for gid in known)


def port_mode(device: str) -> str | None:
    """'crw-rw---- root:dialout' for a device node, None when it cannot be read."""
    import grp
    import pwd

    try:
        st = os.stat(device)
    except OSError:
        return None
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    return f"{stat.filemode(st.st_mode)} {owner}:{group}"


def port_accessible(device: str) -> bool | None:
    """Whether this process may open the device for reading and writing (None when it does not exist)."""
    if not os.path.exists(device):
        return None
    return os.access(device, os.R_OK | os.W_OK)


def _program(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def port_holders(device: str) -> list[dict] | None:
    """Other processes with the device open (scanning /proc/*/fd), as [{pid, program}]. None without /proc.

    Processes of other users are invisible to a normal user: an empty list then means "none that we can see"."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    try:
        target = os.path.realpath(device)
    except OSError:
        return None
    me = str(os.getpid())
    holders = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or entry.name == me:
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    holders.append({"pid": int(entry.name), "program": _program(entry.name)})
                    break
            except OSError:
                continue
    return holders


def modemmanager_running() -> bool | None:
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if entry.name.isdigit() and _program(entry.name) == "ModemManager":
            return True
    return False


def udev_modemmanager_ignore(vid: int, pid: int, rule_dirs: tuple[str, ...] = UDEV_RULE_DIRS) -> bool | None:
    """Whether a udev rule tells ModemManager to leave vid:pid alone (ID_MM_DEVICE_IGNORE). None without udev."""
    dirs = [Path(d) for d in rule_dirs if Path(d).is_dir()]
    if not dirs:
        return None
    vid_s, pid_s = f"{vid:04x}", f"{pid:04x}"
    for directory in dirs:
        for rules in directory.glob("*.rules"):
            try:
                text = rules.read_text(errors="replace").lower()
            except OSError:
                continue
            for line in text.splitlines():
                if line.lstrip().startswith("#"):
                    continue
                if "id_mm_device_ignore" in line and vid_s in line and pid_s in line:
                    return True
    return False


def udev_rule_for(vid: int, pid: int | None, rule_dirs: tuple[str, ...] = UDEV_RULE_DIRS) -> bool | None:
    """Whether some udev rule names vid (and pid, when given) in a line that grants access (MODE, GROUP or uaccess
    TAG): what lets a normal user open a debug probe. None without udev rule folders."""
    dirs = [Path(d) for d in rule_dirs if Path(d).is_dir()]
    if not dirs:
        return None
    vid_s = f"{vid:04x}"
    pid_s = f"{pid:04x}" if pid is not None else ""
    for directory in dirs:
        for rules in directory.glob("*.rules"):
            try:
                text = rules.read_text(errors="replace").lower()
            except OSError:
                continue
            for line in text.splitlines():
                if line.lstrip().startswith("#") or vid_s not in line or pid_s not in line:
                    continue
                if "mode" in line or "group" in line or "uaccess" in line:
                    return True
    return False


PROBE_FIX = ("install udev rules for the probe: `vescdoctor doctor --udev-rules | sudo tee "
             "/etc/udev/rules.d/50-vescdoctor.rules && sudo udevadm control --reload && sudo udevadm trigger`, "
             "then unplug and replug the probe")


def port_checks(port: str | None) -> PortChecks:
    """The serial group, ModemManager, and for `port` who may open it and who holds it."""
    out = PortChecks()
    f = out.facts
    f["usb.user_in_serial_group"] = in_serial_group()
    f["usb.modemmanager_running"] = modemmanager_running()
    from ...knowledge.usb_ids import VESC_CDC

    f["usb.udev_mm_ignore"] = udev_modemmanager_ignore(*VESC_CDC)
    if port:
        f["usb.port_accessible"] = port_accessible(port)
        f["usb.port_mode"] = port_mode(port)
        f["usb.port_holders"] = port_holders(port)
    if f["usb.user_in_serial_group"] is False:
        out.issues.append("not-in-serial-group")
        out.lines.append("Host: you are not in the dialout (or uucp) group, so serial ports are closed to you")
    if f["usb.port_accessible"] is False:
        out.issues.append("port-not-accessible")
        out.lines.append(f"Host: {port} is {f['usb.port_mode']}: you may not open it")
    if f["usb.port_holders"]:
        out.issues.append("port-held")
        out.lines.append(f"Host: {port} is held open by {holders_text(f['usb.port_holders'])}")
    if f["usb.modemmanager_running"] and not f["usb.udev_mm_ignore"]:
        out.issues.append("modemmanager-may-grab-port")
        out.lines.append("Host: ModemManager runs and no udev rule tells it to ignore 0483:5740: it may grab the port")
    return out


def _group_fix() -> str:
    group = "uucp" if Path("/etc/arch-release").exists() else "dialout"
    return f"sudo usermod -aG {group} $USER, then log out and in again"


def doctor_checks(vesc_ports: list[str], probes_on_usb: list[dict]) -> list[Check]:
    """Linux's lines of `vescdoctor doctor`: serial group, each VESC port, ModemManager, udev rules."""
    checks = []
    group = in_serial_group()
    checks.append(Check("serial-group", "Serial permission", {True: "ok", False: "fail", None: "warn"}[group],
                        {True: "this user may open serial ports (dialout/uucp or root)",
                         False: "this user is not in the dialout (or uucp) group now",
                         None: "no dialout or uucp group on this system"}[group],
                        None if group else _group_fix()))
    for port in vesc_ports:
        holders = port_holders(port)
        if port_accessible(port) is False:
            checks.append(Check("serial-port", f"VESC port {port}", "fail",
                                f"{port} is {port_mode(port)}: this user may not open it", _group_fix()))
        elif holders:
            checks.append(Check("port-holders", f"VESC port {port}", "fail", f"held open by {holders_text(holders)}",
                                "close VESC Tool or the serial terminal that holds it"))
        else:
            checks.append(Check("serial-port", f"VESC port {port}", "ok", "may be opened, no other program holds it"))
    mm = modemmanager_running()
    from ...knowledge.usb_ids import VESC_CDC

    ignored = udev_modemmanager_ignore(*VESC_CDC)
    if mm and not ignored:
        checks.append(Check("modemmanager", "ModemManager", "warn",
                            "ModemManager runs and may probe the VESC's port as a modem (0483:5740 not ignored)",
                            "vescdoctor doctor --udev-rules (it sets ID_MM_DEVICE_IGNORE), or: "
                            "sudo systemctl stop ModemManager"))
    else:
        checks.append(Check("modemmanager", "ModemManager", "ok",
                            "not running" if not mm else "runs, and a udev rule tells it to leave 0483:5740 alone"))
    checks.append(_udev_check(probes_on_usb))
    return checks


def _udev_check(probes_on_usb: list[dict]) -> Check:
    from ...knowledge.usb_ids import DEBUG_PROBES

    if os.geteuid() == 0:
        return Check("udev-rules", "udev rules for debug probes", "ok", "running as root: USB devices open anyway")
    present = udev_rule_for(0x0483, 0x3748)
    unruled = [p for p in probes_on_usb if udev_rule_for(int(p["vid"], 16), int(p["pid"], 16)) is False]
    if present is None:
        return Check("udev-rules", "udev rules for debug probes", "warn", "no udev rule folders on this system")
    if unruled:
        names = ", ".join(f"{p['name']} ({p['vid']}:{p['pid']})" for p in unruled)
        return Check("udev-rules", "udev rules for debug probes", "fail",
                     f"no rule lets this user open {names}", PROBE_FIX)
    if not present:
        known = len({pid for vid, pid in DEBUG_PROBES if vid == 0x0483})
        return Check("udev-rules", "udev rules for debug probes", "warn",
                     f"no rule for the ST-Link (0483:3748 and {known - 1} more PIDs): only root may open it",
                     PROBE_FIX)
    return Check("udev-rules", "udev rules for debug probes", "ok", "a rule lets this user open ST-Link probes")
