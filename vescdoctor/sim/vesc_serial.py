"""The VESC firmware's serial side on the bench: a port answering the VESC packet protocol, on every OS.

A `VescSerialPort` owns a thread that decodes the host's frames (over a socket pair per open) and answers them as
bldc:comm/commands.c and bldc:terminal.c would, from what the board runs *now*: `identity()` is asked on every
request, so a fix that reflashes or resets the chip changes what the port says (or silences it).

What it answers (the identity is the boot model's vescdoctor.sim.boot.VescIdentity):
- COMM_FW_VERSION: VescIdentity.version_reply(), the fields of the running firmware's generation.
- COMM_GET_VALUES (3.x: up to controller_id; newer: every field) and COMM_GET_VALUES_SELECTIVE, fault code 0.
- COMM_TERMINAL_CMD "faults", "hw_status" (each firmware printf is one COMM_PRINT); any other terminal line gets the
  firmware's "Invalid command" text (the bench models no other terminal command).
- Commands in `handlers` (a dispatch table other parts of the bench fill): on the bench, the update path
  (sim/vesc_update.py: COMM_ERASE_NEW_APP, COMM_WRITE_NEW_APP_DATA, COMM_ERASE_BOOTLOADER, COMM_JUMP_TO_BOOTLOADER,
  COMM_GET_MCCONF/APPCONF), which writes the board's flash through the chip's FLASH controller.
- Everything else is read and ignored without a reply, and recorded in `received`.

On the bench, serve_bench(bench) gives each Bench one port (kept in bench.attachments, stopped on its last release):
it answers while the bench shows the VESC CDC device on USB (firmware running, USB data cable, core not halted),
with the identity the boot model gives the board's flash.

The host reaches the port through the pyserial URL `vescsim://<name>` (see serial_url/protocol_vescsim.py), named as
the host names a CDC port (COM7, /dev/cu.usbmodem301, /dev/ttyACM0). It refuses to open with the errors of the host's
pyserial backend (serial_refusals.py) when `open_error()` says so, or while another open holds it exclusively.
"""
from __future__ import annotations

import itertools
import select
import socket
import threading
from collections.abc import Callable

import serial

from ..knowledge.usb_ids import VESC_CDC
from ..protocol import packet
from ..protocol.commands import Command, build_get_values, build_get_values_selective, get_values_fields
from . import serial_refusals
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
    values = dict(_IDLE_VALUES, fault_code=ident.fault_code)  # board.md fault_code: its active fault
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


# Ports served in this process, by device name: the URL handler finds them here.
_PORTS: dict[str, VescSerialPort] = {}
_PORTS_LOCK = threading.Lock()
_NUMBERS = itertools.count()


def served_port(name: str) -> VescSerialPort | None:
    with _PORTS_LOCK:
        return _PORTS.get(name)


def register_url_handler() -> None:
    """Make `vescsim://` known to serial.serial_for_url (idempotent)."""
    if _HANDLER_PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(_HANDLER_PACKAGE)


class _Connection:
    """One host-side open of the port: the firmware's end of a socket pair, and its frame decoder."""

    def __init__(self, sock: socket.socket, peer: socket.socket, exclusive: bool):
        self.sock, self.peer, self.exclusive = sock, peer, exclusive
        self.hung_up = False  # the host closed it; the server thread closes our end when it reads the EOF
        self.decoder = packet.Decoder()
        self.update_identity: VescIdentity | None = None  # VescSerialPort._identity's cache


class VescSerialPort:
    """A port that behaves like a VESC's USB CDC port. Use as a context manager, or start() / stop().

    Each open from the host gets one end of a socket pair (socket.socketpair: the same on Windows, macOS and Linux,
    where a pty would be Unix-only); a thread answers on the other ends. The host opens it by its URL through
    pyserial (serial_url/protocol_vescsim.py), so pyserial's own socket code reads and writes it.

    identity: the firmware running now, or None when no VESC firmware runs (the port then stays silent).
    open_error: "EACCES" | "EBUSY" | None, what opening the port from the host does now.
    """

    WRITE_TIMEOUT = 0.05  # the firmware drops a reply the host does not read (USB write timeout)

    def __init__(self, identity: Callable[[], VescIdentity | None],
                 open_error: Callable[[], str | None] = lambda: None):
        self.identity = identity
        self.open_error = open_error
        self.received: list[int] = []  # command ids in arrival order, answered or not
        self.handlers: dict[int, Callable[[bytes], list[bytes]]] = {}  # command id -> handler, before answer()
        self.unplugged = False  # the USB cable was pulled (a fault): gone for the rest of this process
        self.offline = False  # the firmware let go of USB (jump to the bootloader) and has not come back yet
        self._drop = False  # end every connection after the request in hand
        self._connections: list[_Connection] = []
        self._lock = threading.Lock()
        self._wake_r = self._wake_w = None
        self._thread: threading.Thread | None = None
        self.device = ""

    @property
    def url(self) -> str:
        return f"{URL_SCHEME}://{self.device}"

    def start(self) -> VescSerialPort:
        if self._thread is not None:
            return self
        self.device = serial_refusals.device_name(next(_NUMBERS))
        self._wake_r, self._wake_w = socket.socketpair()
        register_url_handler()
        with _PORTS_LOCK:
            _PORTS[self.device] = self
        self._thread = threading.Thread(target=self._serve, name=f"vesc-port {self.device}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Unplug: every open connection ends (the host reads 'socket disconnected') and the name is gone."""
        if self._thread is None:
            return
        with _PORTS_LOCK:
            _PORTS.pop(self.device, None)
        self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._thread = None
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.sock.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> VescSerialPort:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def connect(self, exclusive: bool) -> socket.socket:
        """The host's end of a new connection; raises serial.SerialException as the host's pyserial would."""
        with self._lock:
            if self.unplugged or self.offline:
                raise serial_refusals.open_refused(self.device, "ENOENT")
            why = self.open_error()
            if why in ("EACCES", "EBUSY"):
                raise serial_refusals.open_refused(self.device, why)
            held = [c for c in self._connections if not c.hung_up]
            if any(c.exclusive for c in held) or (held and serial_refusals.windows_host()):
                raise serial_refusals.lock_refused(self.device)
            ours, theirs = socket.socketpair()
            ours.settimeout(self.WRITE_TIMEOUT)
            self._connections.append(_Connection(ours, theirs, exclusive))
        self._wake_w.send(b"c")  # the server thread selects on the new connection from now on
        return theirs

    def hang_up(self, peer: socket.socket) -> None:
        """The host closed its end: its lock is gone at once, as a closed fd's flock is."""
        with self._lock:
            for conn in self._connections:
                if conn.peer is peer:
                    conn.hung_up = True

    def _serve(self) -> None:
        while True:
            with self._lock:
                by_sock = {c.sock: c for c in self._connections}
            ready, _, _ = select.select([self._wake_r, *by_sock], [], [], 0.1)
            if self._wake_r in ready:
                if b"x" in self._wake_r.recv(64):
                    return
                continue
            if not ready:
                for conn in by_sock.values():
                    if conn.decoder.pending():
                        self._handle(conn, conn.decoder.expire())  # the firmware's packet timeout
                continue
            for sock in ready:
                self._receive(by_sock[sock])
            if self._drop:
                self._drop_connections()

    def _receive(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(4096)
        except OSError:
            data = b""
        if not data:  # the host closed the port
            with self._lock:
                if conn in self._connections:
                    self._connections.remove(conn)
            conn.sock.close()
            return
        self._handle(conn, conn.decoder.feed(data))

    def unplug(self) -> None:
        """The cable is pulled: every connection ends and the port stays gone."""
        self.unplugged = self._drop = True

    def go_offline(self) -> None:
        """The firmware stops USB (flash_helper_jump_to_bootloader): connections end, opens fail until come_back."""
        self.offline = self._drop = True

    def come_back(self) -> None:
        self.offline = False

    def _identity(self, conn: _Connection, cached: bool) -> VescIdentity | None:
        """The running firmware; the update path asks it once per connection (the boot model's CRC check over the
        application costs ~20 ms, and nothing the update commands write is in the application's sectors)."""
        if not cached:
            return self.identity()
        if conn.update_identity is None:
            conn.update_identity = self.identity()
        return conn.update_identity

    def _drop_connections(self) -> None:
        self._drop = False
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.sock.close()

    def _handle(self, conn: _Connection, requests: list[bytes]) -> None:
        for request in requests:
            if self._drop:
                return  # the line is gone: what followed on it never arrives
            self.received.append(request[0])
            handler = self.handlers.get(request[0])
            ident = None if self.unplugged or self.offline else self._identity(conn, cached=handler is not None)
            if ident is None:
                continue
            for reply in handler(request) if handler else answer(ident, request):
                if self._drop:
                    return
                try:
                    conn.sock.sendall(packet.encode(reply))
                except OSError:
                    return  # nobody reads (timeout) or the host is gone: dropped, as the firmware's write timeout does


def close_port(name: str, peer: socket.socket) -> None:
    port = served_port(name)
    if port is not None:
        port.hang_up(peer)


def open_port(name: str, exclusive: bool) -> socket.socket:
    """Open the served port `name` for the URL handler; a port no longer served is gone (ENOENT)."""
    port = served_port(name)
    if port is None:
        raise serial_refusals.open_refused(name, "ENOENT")  # board reset, unplugged, firmware stopped
    return port.connect(exclusive)


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
            from .vesc_update import install

            install(bench, port)
            bench.stop_hooks.append(lambda _bench: port.stop())
        return port
