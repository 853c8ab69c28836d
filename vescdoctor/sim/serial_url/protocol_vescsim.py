"""pyserial handler for `vescsim://<pty path>`: the bench's VESC port, opened like a real tty.

serial.serial_for_url("vescsim:///dev/pts/7") returns a PosixSerial on the pty. When the simulated host side says
so, open() fails exactly as PosixSerial does on Linux: SerialException with errno EACCES (user not in dialout) or
EBUSY (another program holds the port exclusively), and the same message text. We run as root in CI, so file modes
could not produce these errors; the handler does.
"""
from __future__ import annotations

from serial.serialposix import Serial as PosixSerial

from ..vesc_serial import URL_SCHEME, open_refusal


class Serial(PosixSerial):
    def open(self):
        refusal = open_refusal(self.portstr)
        if refusal is not None:
            raise refusal
        super().open()


def serial_class_for_url(url: str):
    """(port, class) for serial_for_url: the pty path, opened by the class above."""
    prefix = f"{URL_SCHEME}://"
    if not url.lower().startswith(prefix):
        raise ValueError(f"expected a {prefix}PATH URL, got {url!r}")
    return url[len(prefix):], Serial
