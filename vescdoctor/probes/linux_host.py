"""Checks of a real Linux host that keep a VESC's serial port from working (reference: vesc-stm32.md, Linux pitfalls).

Each function answers one question and returns None when it cannot tell (no /proc, no permission to look). None of
them changes anything. The bench's ports are ptys in this process; these checks are for real /dev/tty* ports only.
"""
from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

SERIAL_GROUPS = ("dialout", "uucp")  # Debian/Ubuntu/Fedora, Arch
UDEV_RULE_DIRS = ("/etc/udev/rules.d", "/run/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d")


def in_serial_group() -> bool | None:
    """Whether this process may use serial ports by group: root, or dialout/uucp among its groups *now*
    (a user just added to dialout is not in it until they log in again, and that is exactly what matters)."""
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
    try:
        st = os.stat(device)
    except OSError:
        return None
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    try:
        import pwd

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
