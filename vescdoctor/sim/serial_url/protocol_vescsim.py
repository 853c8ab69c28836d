"""pyserial handler for `vescsim://<name>`: the bench's VESC port, opened like a real one on any OS.

serial.serial_for_url("vescsim:///dev/ttyACM0") returns the Serial below: pyserial's own socket:// port
(serial/urlhandler/protocol_socket.py; select on a socket works on Windows too) on one end of a socket pair the
bench serves. Opening it fails as the host's pyserial backend fails when the simulated host side says so (no
permission, another program holds it, the device is gone): see ../serial_refusals.py. We run as root in CI, so
file modes could not produce these errors; the handler does.
"""
from __future__ import annotations

from serial import SerialException
from serial.urlhandler.protocol_socket import Serial as SocketSerial

from ..vesc_serial import URL_SCHEME, close_port, open_port


class Serial(SocketSerial):
    def open(self):
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        if self.is_open:
            raise SerialException("Port is already open.")
        self.logger = None
        self._socket = open_port(self.portstr, bool(self._exclusive))
        self._socket.setblocking(False)  # pyserial's socket port reads and writes with select
        self._reconfigure_port()
        self.is_open = True
        self.reset_input_buffer()

    def close(self):
        # As SocketSerial.close, without its 0.3 s pause for a TCP server to accept again.
        if self.is_open:
            if self._socket:
                close_port(self.portstr, self._socket)
                self._socket.close()
                self._socket = None
            self.is_open = False


def serial_class_for_url(url: str):
    """(port, class) for serial_for_url: the port's name, opened by the class above."""
    prefix = f"{URL_SCHEME}://"
    if not url.lower().startswith(prefix):
        raise ValueError(f"expected a {prefix}NAME URL, got {url!r}")
    return url[len(prefix):], Serial
