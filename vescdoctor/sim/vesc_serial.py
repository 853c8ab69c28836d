"""The VESC firmware's serial side on the bench: a real pseudo-terminal answering the VESC packet protocol.

A `VescSerialPort` owns a pty (os.openpty, raw mode) and a thread that decodes the host's frames and answers them as
bldc:comm/commands.c and bldc:terminal.c would, from what the board runs *now*: `identity()` is asked on every
request, so a fix that reflashes or resets the chip changes what the port says (or silences it).

What it answers (the identity is the boot model's vescdoctor.sim.boot.VescIdentity):
- COMM_FW_VERSION: VescIdentity.version_reply(), the fields of the running firmware's generation.
- COMM_GET_VALUES (3.x: up to controller_id; newer: every field) and COMM_GET_VALUES_SELECTIVE, fault code 0.
- COMM_TERMINAL_CMD "faults", "hw_status" (each firmware printf is one COMM_PRINT); any other terminal line gets the
  firmware's "Invalid command" text (the bench models no other terminal command).
- Everything else is read and ignored without a reply, and recorded in `received`. That includes the update,
  erase and reboot commands: the bench does not model the firmware's update path, so a host that sends them waits in
  vain rather than being told a lie. Nothing here ever touches the board's flash.

On the bench, serve_bench(bench) gives each Bench one port (kept in bench.attachments, stopped on its last release):
it answers while the bench shows the VESC CDC device on USB (firmware running, USB data cable, core not halted),
with the identity the boot model gives the board's flash.

The host reaches the port through the pyserial URL `vescsim://<pty path>` (see serial_url/protocol_vescsim.py),
which refuses to open with EACCES / EBUSY exactly as PosixSerial reports them when `open_error()` says so.
"""
from __future__ import annotations

import errno
import os
import select
import threading
import time
import tty
from collections.abc import Callable

import serial

from ..knowledge.usb_ids import VESC_CDC
from ..protocol import packet
from ..protocol.commands import Command, build_get_values, build_get_values_selective, get_values_fields
from .boot import VescIdentity, evaluate

URL_SCHEME = "vescsim"
_HANDLER_PACKAGE = "vescdoctor.sim.serial_url"


# Plausible live values of an idle, healthy board (the bench has no motor).
_IDLE_VALUES = {"temp_fet": 24.5, "temp_motor": 23.0, "v_in": 37.2, "temp_mos1": 24.5, "temp_mos2": 24.6,
                "temp_mos3": 24.4}


def terminal_output(ident: VescIdentity, line: str) -> list[str]:
    """The COMM_PRINT texts bldc:terminal.c prints for `line`, one per commands_printf."""
    argv = line.split()
    if not argv:
        return []
    if argv[0] == "faults":
        return ["No faults registered since startup\n"]
    if argv[0] == "hw_status":
        return [f"Firmware: {ident.fw_major}.{ident.fw_minor}", f"Hardware: {ident.hw_name}",
                "UUID: " + " ".join(f"{b:02X}" for b in ident.uuid), "Permanent NRF found: No", " "]
    return [f"Invalid command: {argv[0]}\ntype help to list all available commands\n"]


def answer(ident: VescIdentity, payload: bytes) -> list[bytes]:
    """The reply payloads the firmware sends for one request payload (empty: it sends nothing)."""
    command, body = payload[0], payload[1:]
    values = dict(_IDLE_VALUES, fault_code=0)  # a running firmware that answers has no active fault
    if command == Command.FW_VERSION:
        return [ident.version_reply()]
    if command == Command.GET_VALUES:
        return [build_get_values(values, get_values_fields((ident.fw_major, ident.fw_minor)))]
    if command == Command.GET_VALUES_SELECTIVE and len(body) >= 4:
        return [build_get_values_selective(values, int.from_bytes(body[:4], "big"))]
    if command == Command.TERMINAL_CMD:
        text = body.split(b"\0", 1)[0].decode("latin-1")
        return [bytes((Command.PRINT,)) + t.encode("latin-1")[:254] for t in terminal_output(ident, text)]
    return []


# Ports served in this process, by pty path: the URL handler finds them here.
_PORTS: dict[str, VescSerialPort] = {}
_PORTS_LOCK = threading.Lock()


def served_port(path: str) -> VescSerialPort | None:
    with _PORTS_LOCK:
        return _PORTS.get(path)


def register_url_handler() -> None:
    """Make `vescsim://` known to serial.serial_for_url (idempotent)."""
    if _HANDLER_PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(_HANDLER_PACKAGE)


class VescSerialPort:
    """A pty that behaves like a VESC's USB CDC port. Use as a context manager, or start() / stop().

    identity: the firmware running now, or None when no VESC firmware runs (the port then stays silent).
    open_error: "EACCES" | "EBUSY" | None, what opening the port from the host does now.
    """

    WRITE_TIMEOUT = 0.05  # the firmware drops a reply the host does not read (USB write timeout)

    def __init__(self, identity: Callable[[], VescIdentity | None],
                 open_error: Callable[[], str | None] = lambda: None):
        self.identity = identity
        self.open_error = open_error
        self.received: list[int] = []  # command ids in arrival order, answered or not
        self._master = self._slave = -1
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self.device = ""

    @property
    def url(self) -> str:
        return f"{URL_SCHEME}://{self.device}"

    def start(self) -> VescSerialPort:
        if self._thread is not None:
            return self
        self._master, self._slave = os.openpty()
        # Raw on the terminal side: no echo, no line discipline, every byte passes unchanged. The slave stays open
        # here so the master never reads EIO while no host has the port open.
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.device = os.ttyname(self._slave)
        self._wake_r, self._wake_w = os.pipe()
        register_url_handler()
        with _PORTS_LOCK:
            _PORTS[self.device] = self
        self._thread = threading.Thread(target=self._serve, name=f"vesc-pty {self.device}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        self._thread = None
        with _PORTS_LOCK:
            _PORTS.pop(self.device, None)
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            os.close(fd)
        self._master = self._slave = self._wake_r = self._wake_w = -1

    def __enter__(self) -> VescSerialPort:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _serve(self) -> None:
        decoder = packet.Decoder()
        while True:
            ready, _, _ = select.select([self._master, self._wake_r], [], [], 0.1)
            if self._wake_r in ready:
                return
            if not ready:
                if decoder.pending():
                    self._handle(decoder.expire())  # the firmware's packet timeout: a half frame is given up
                continue
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            self._handle(decoder.feed(data))

    def _handle(self, requests: list[bytes]) -> None:
        for request in requests:
            self.received.append(request[0])
            ident = self.identity()
            if ident is None:
                continue
            for reply in answer(ident, request):
                self._send(packet.encode(reply))

    def _send(self, frame: bytes) -> None:
        deadline = time.monotonic() + self.WRITE_TIMEOUT
        while frame:
            try:
                frame = frame[os.write(self._master, frame):]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([], [self._master], [], left)[1]:
                    return  # nobody reads: dropped, as the firmware's write timeout does
            except OSError:
                return


def open_refusal(path: str) -> serial.SerialException | None:
    """The exception PosixSerial would raise on opening `path` now, or None when the open may proceed."""
    port = served_port(path)
    if port is None:
        code = errno.ENOENT  # the CDC device is gone (board reset, unplugged, firmware stopped)
    else:
        code = {"EACCES": errno.EACCES, "EBUSY": errno.EBUSY}.get(port.open_error() or "")
        if code is None:
            return None
    msg = OSError(code, os.strerror(code), path)
    return serial.SerialException(code, f"could not open port {path}: {msg}")


ATTACHMENT = "vesc_serial"
_SERVE_LOCK = threading.Lock()


def bench_vesc_device(bench):
    """The VESC CDC device the bench shows on USB now (a sim.usb_descriptors.UsbDeviceSpec), or None."""
    for device in bench.usb_devices():
        if (device.vid, device.pid) == VESC_CDC:
            return device
    return None


def serve_bench(bench) -> VescSerialPort:
    """The bench's VESC port, started on first use and stopped by the bench's last release."""
    with _SERVE_LOCK:
        port = bench.attachments.get(ATTACHMENT)
        if port is None:
            def identity() -> VescIdentity | None:
                return evaluate(bench.board).vesc if bench_vesc_device(bench) is not None else None

            def open_error() -> str | None:
                return evaluate(bench.board).serial_error

            port = bench.attachments[ATTACHMENT] = VescSerialPort(identity, open_error).start()
            bench.stop_hooks.append(lambda _bench: port.stop())
        return port
