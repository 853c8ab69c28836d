"""What pyserial raises on this host when a port cannot be opened, worded as its platform backend words it.

The bench's VESC port is a pair of sockets, not a device node, so the refusals a real port gives (no permission,
held by another program, gone) are made here, exactly as pyserial's backend for the host platform would raise them:
- POSIX (Linux, macOS), serial/serialposix.py Serial.open: `SerialException(errno, "could not open port P: [Errno N]
  text: 'P'")`; an exclusive lock held elsewhere (flock, Serial._reconfigure_port): `SerialException(EAGAIN,
  "Could not exclusively lock port P: [Errno 11] Resource temporarily unavailable")`.
- Windows, serial/serialwin32.py Serial.open: `SerialException("could not open port 'COM7': PermissionError(13,
  'Access is denied.', None, 5)")`, errno None (the text is all a caller gets). Windows opens a COM port
  exclusively and has no per-user permission on it: a port held by another program and a refused one look the same.
`sys.platform` is read at each call so that tests can play Windows or macOS on a Linux machine.
"""
from __future__ import annotations

import errno
import os
import sys

import serial

# Windows' texts for the system error codes CreateFileW gives a COM port (winerror.h; FormatMessage wording).
_WINDOWS = {"EACCES": (errno.EACCES, 5, "Access is denied."), "EBUSY": (errno.EACCES, 5, "Access is denied."),
            "ENOENT": (errno.ENOENT, 2, "The system cannot find the file specified.")}
_POSIX = {"EACCES": errno.EACCES, "EBUSY": errno.EBUSY, "ENOENT": errno.ENOENT}


def windows_host() -> bool:
    return sys.platform == "win32"


def open_refused(device: str, why: str) -> serial.SerialException:
    """The exception opening `device` raises; why: EACCES | EBUSY | ENOENT."""
    if windows_host():
        code, winerror, text = _WINDOWS[why]
        kind = PermissionError if code == errno.EACCES else FileNotFoundError
        return serial.SerialException(f"could not open port {device!r}: {kind(code, text, None, winerror)!r}")
    code = _POSIX[why]
    msg = OSError(code, os.strerror(code), device)
    return serial.SerialException(code, f"could not open port {device}: {msg}")


def lock_refused(device: str) -> serial.SerialException:
    """A second open while another program holds the port exclusively (VESC Tool does)."""
    if windows_host():
        return open_refused(device, "EBUSY")
    code = errno.EAGAIN
    msg = OSError(code, os.strerror(code))
    return serial.SerialException(code, f"Could not exclusively lock port {device}: {msg}")


def device_name(number: int) -> str:
    """A name such as the host gives a USB CDC port: COM7, /dev/cu.usbmodem3041, /dev/ttyACM0."""
    if windows_host():
        return f"COM{number + 3}"
    if sys.platform == "darwin":
        return f"/dev/cu.usbmodem{number + 301}"
    return f"/dev/ttyACM{number}"
