"""Request and reply with a running VESC firmware over its USB serial port, for the update path.

Unlike probes/vesc.py (a diagnosis: reads only, protocol.commands.request's allow-list), this link sends the
commands that erase and write flash; only usbrepair's transfer module builds them. A port that vanishes (cable
pulled, board reset) raises UsbLost; a command that gets no reply in time raises UsbSilent.
"""
from __future__ import annotations

import time
from typing import Any

from ..errors import VescDoctorError
from ..knowledge.usb_ids import VESC_CDC
from ..protocol import packet
from ..protocol.commands import Command, FwVersion, ReplyError, parse_fw_version

READ_POLL = 0.02
REPLY_TIMEOUT = 3.0  # vesc_tool vescinterface.cpp waits 3 s per write chunk (and 20 s for an erase)
ERASE_TIMEOUT = 20.0


class UsbRepairError(VescDoctorError):
    """A USB repair step failed; the message is one line for the user."""


class UsbLost(UsbRepairError):
    """The VESC's port went away mid-conversation."""


class UsbSilent(UsbRepairError):
    """The firmware did not answer a command in time."""


def vesc_ports(env: Any) -> list[Any]:
    return [p for p in env.serial_ports() if (p.vid, p.pid) == VESC_CDC]


class VescLink:
    """One open of the VESC's port. Use as a context manager."""

    def __init__(self, env: Any, device: str | None = None):
        ports = vesc_ports(env)
        if device is None and not ports:
            raise UsbLost("no VESC on USB (its serial port is not there)")
        self.device = device or ports[0].device
        try:
            self.port = env.open_serial(self.device, baudrate=115200, timeout=READ_POLL, write_timeout=2.0,
                                        exclusive=True)
        except Exception as exc:  # pyserial raises SerialException or OSError depending on the platform
            raise UsbLost(f"cannot open the VESC's port {self.device}: {exc}") from None
        self.decoder = packet.Decoder()

    def __enter__(self) -> VescLink:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:
            pass

    def send(self, payload: bytes) -> None:
        try:
            self.port.write(packet.encode(payload))
            self.port.flush()
        except Exception as exc:
            raise UsbLost(f"the VESC's port {self.device} went away ({exc})") from None

    def call(self, payload: bytes, timeout: float = REPLY_TIMEOUT) -> bytes:
        """Send `payload`; the first reply with the same command id."""
        self.send(payload)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.port.read(self.port.in_waiting or 1)
            except Exception as exc:
                raise UsbLost(f"the VESC's port {self.device} went away ({exc})") from None
            for reply in self.decoder.feed(data) if data else []:
                if reply[0] == payload[0]:
                    return reply
        name = Command(payload[0]).name if payload[0] in Command._value2member_map_ else str(payload[0])
        raise UsbSilent(f"the VESC did not answer COMM_{name} within {timeout:g} s")

    def fw_version(self) -> FwVersion:
        try:
            return parse_fw_version(self.call(bytes((Command.FW_VERSION,)), timeout=1.0))
        except ReplyError as exc:
            raise UsbSilent(f"the VESC's COMM_FW_VERSION reply is not readable ({exc})") from None
