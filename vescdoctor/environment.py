"""How probes and fixes reach hardware: the real machine's, or the virtual bench's, with no other difference.

Probe code asks an Environment for four things and never checks which kind it has:
- `usb_backend`: the pyusb backend to pass to usb.core.find (None: pyusb's default, i.e. libusb on this machine);
- `serial_ports()`: port infos as serial.tools.list_ports gives them (device, vid, pid, serial_number,
  description, hwid, manufacturer, product);
- `open_serial(device, **kw)`: serial.serial_for_url, so a bench port (`vescsim://...`) opens like /dev/ttyACM0;
- `pyocd_uid`: the unique id to give pyOCD's ConnectHelper / Session (None: pyOCD picks the only probe).
`is_sim` and `board_dir` are there for reports and for the few host checks that only mean something on a real
machine (group membership, /proc); probes must not branch on them for anything else.

The simulated environment takes its USB backend and pyOCD uid from vescdoctor.sim.bench.Bench and the VESC
firmware's serial side from the port the bench serves (sim/vesc_serial.py). The port is listed only while the bench
shows the VESC CDC device on USB, asked at each call: a fix may reset or halt the chip and change what runs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import serial
from serial.tools.list_ports_common import ListPortInfo



class Environment:
    """The hardware a session talks to. A context manager: closing it closes its SWD link and releases the bench
    (whose last release stops the VESC port and saves the board)."""

    def __init__(self, *, usb_backend: Any = None, pyocd_uid: str | None = None, bench: Any = None):
        self.usb_backend = usb_backend
        self.pyocd_uid = pyocd_uid
        self.bench = bench  # vescdoctor.sim.bench.Bench on the bench, None on real hardware
        self._vesc_port = None
        if bench is not None:
            from .sim.vesc_serial import serve_bench

            self._vesc_port = serve_bench(bench)

    # --- what probes use -------------------------------------------------------------------------------------

    @property
    def is_sim(self) -> bool:
        return self.bench is not None

    @property
    def board_dir(self) -> Path | None:
        return Path(self.bench.board.path) if self.bench is not None else None

    def serial_ports(self) -> list[ListPortInfo]:
        """Serial ports as serial.tools.list_ports.comports() lists them (fresh on every call)."""
        if self.bench is None:
            from serial.tools import list_ports

            return list(list_ports.comports())
        from .sim.vesc_serial import bench_vesc_device

        device = bench_vesc_device(self.bench)
        if device is None or self._vesc_port is None or self._vesc_port.unplugged:
            return []
        info = ListPortInfo(self._vesc_port.url, skip_link_detection=True)
        info.name = os.path.basename(self._vesc_port.device)
        info.vid, info.pid = device.vid, device.pid
        info.serial_number, info.manufacturer, info.product = device.serial, device.manufacturer, device.product
        info.location = f"{self.bench.usb_backend.bus}-1:1.0"
        info.apply_usb_info()
        return [info]

    def open_serial(self, device: str, **kwargs: Any) -> serial.SerialBase:
        """Open a port by device path or pyserial URL; raises serial.SerialException as pyserial does."""
        return serial.serial_for_url(device, **kwargs)

    def describe(self) -> str:
        return f"simulated board {self.board_dir}" if self.is_sim else "this computer's USB and serial ports"

    # --- lifetime --------------------------------------------------------------------------------------------

    def close(self) -> None:
        from .swdlink import close_link

        close_link(self)  # before the bench goes: its session talks to the bench's probe
        self._vesc_port = None
        if self.bench is not None:
            bench, self.bench = self.bench, None
            bench.release()

    def __enter__(self) -> "Environment":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def real_environment(probe_uid: str | None = None) -> Environment:
    """This computer's USB, serial ports and debug probes. `probe_uid` picks a debug probe when several are there."""
    return Environment(usb_backend=host_usb_backend(), pyocd_uid=probe_uid)


def host_usb_backend():
    """The libusb backend pyOCD itself uses (the copy the libusb-package wheel ships), so USB works where pyOCD
    does even without a system libusb; None (pyusb's own search) if that package is missing."""
    try:
        import libusb_package
    except ImportError:
        return None
    return libusb_package.get_libusb1_backend()


def sim_environment(board_dir: str | Path) -> Environment:
    """A simulated board directory on the virtual bench (InputError when it is not a valid board)."""
    from .sim.bench import Bench

    bench = Bench.acquire(board_dir)
    try:
        return Environment(usb_backend=bench.usb_backend, pyocd_uid=bench.pyocd_uid, bench=bench)
    except BaseException:
        bench.release()
        raise
