"""A failure during a fix, backup or restore as one line a user can act on (never a traceback)."""
from __future__ import annotations

import usb.core
from pyocd.core import exceptions

from ..errors import FixError
from .flashops import VerifyError

# What a vanished debug probe raises: pyOCD's probe errors, or pyusb's own when the device is gone under it.
PROBE_LOST = (exceptions.ProbeError, usb.core.USBError, usb.core.NoBackendError)


def describe_failure(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, (VerifyError, FixError)):
        return text
    if isinstance(exc, PROBE_LOST):
        return f"the debug probe was lost ({text}): check its USB cable"
    if isinstance(exc, exceptions.Error):
        return f"the chip stopped answering ({type(exc).__name__}: {text}): check power and wiring"
    return f"{type(exc).__name__}: {text}"
