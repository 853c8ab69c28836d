"""How probes and fixes reach hardware: the real machine's, or the virtual bench's, with no other difference.

Probe code asks an Environment for four things and never checks which kind it has:
- `usb_backend`: the pyusb backend to pass to usb.core.find (None: pyusb's default, i.e. libusb on this machine);
- `serial_ports()`: port infos as serial.tools.list_ports gives them (device, vid, pid, serial_number,
  description, hwid, manufacturer, product);
- `open_serial(device, **kw)`: serial.serial_for_url, so a bench port (`vescsim://...`) opens like /dev/ttyACM0;
- `pyocd_uid`: the unique id to give pyOCD's ConnectHelper / Session (None: pyOCD picks the only probe).
`is_sim` and `board_dir` are there for reports and for the few host checks that only mean something on a real
machine (group membership, /proc); probes must not branch on them for anything else.

The simulated environment takes its USB backend and pyOCD uid from vescdoctor.sim.bench.Bench and serves the VESC
firmware's serial side on a pty (sim/vesc_serial.py). The port is listed only while the boot model says the VESC CDC
device enumerates, evaluated at each call: a fix may reset the chip and change what runs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import serial
from serial.tools.list_ports_common import ListPortInfo

from .knowledge.usb_ids import VESC_CDC


class Environment:
    """The hardware a session talks to. A context manager: closing it releases the bench and stops the pty."""

    def __init__(self, *, usb_backend: Any = None, pyocd_uid: str | None = None, bench: Any = None):
        self.usb_backend = usb_backend
        self.pyocd_uid = pyocd_uid
        self.bench = bench  # vescdoctor.sim.bench.Bench (or a stand-in with .board, .release()), None on hardware
        self._vesc_port = None
        if bench is not None:
            from .sim.vesc_serial import VescSerialPort

            self._vesc_port = VescSerialPort(self._running_vesc, self._serial_open_error).start()

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
        device = self._vesc_cdc_device()
        if device is None or self._vesc_port is None:
            return []
        info = ListPortInfo(self._vesc_port.url, skip_link_detection=True)
        info.name = os.path.basename(self._vesc_port.device)
        info.vid, info.pid = device.vid, device.pid
        info.serial_number, info.manufacturer, info.product = device.serial, device.manufacturer, device.product
        info.location = "1-1:1.0"
        info.apply_usb_info()
        return [info]

    def open_serial(self, device: str, **kwargs: Any) -> serial.SerialBase:
        """Open a port by device path or pyserial URL; raises serial.SerialException as pyserial does."""
        return serial.serial_for_url(device, **kwargs)

    def describe(self) -> str:
        return f"simulated board {self.board_dir}" if self.is_sim else "this computer's USB and serial ports"

    # --- lifetime --------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the SWD session made on this environment, stop the pty, release the bench (in that order: the
        bench saves the board once nothing talks to it any more)."""
        from .swdlink import close_link

        close_link(self)
        if self._vesc_port is not None:
            self._vesc_port.stop()
            self._vesc_port = None
        if self.bench is not None:
            bench, self.bench = self.bench, None
            bench.release()

    def __enter__(self) -> "Environment":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- the bench's side ------------------------------------------------------------------------------------

    def _boot_state(self):
        """What the simulated board runs now: the bench's view when it keeps one (it knows about resets),
        else the boot model evaluated over the board as it is."""
        current = getattr(self.bench, "boot_state", None)
        if callable(current):
            return current()
        if current is not None:
            return current
        from .sim import boot

        return boot.evaluate(self.bench.board)

    def _vesc_cdc_device(self):
        state = self._boot_state()
        for device in state.usb_devices:
            if (device.vid, device.pid) == VESC_CDC:
                return device
        return None

    def _running_vesc(self):
        """The identity the pty answers with, or None when the VESC port is not there (then it stays silent)."""
        if self.bench is None:
            return None
        state = self._boot_state()
        if not any((d.vid, d.pid) == VESC_CDC for d in state.usb_devices):
            return None
        return state.vesc

    def _serial_open_error(self) -> str | None:
        return self._boot_state().serial_error if self.bench is not None else None


def real_environment(probe_uid: str | None = None) -> Environment:
    """This computer's USB, serial ports and debug probes. `probe_uid` picks a debug probe when several are there."""
    return Environment(pyocd_uid=probe_uid)


def sim_environment(board_dir: str | Path) -> Environment:
    """A simulated board directory on the virtual bench (InputError when it is not a valid board)."""
    from .sim.bench import Bench

    bench = Bench.acquire(board_dir)
    try:
        return Environment(usb_backend=bench.usb_backend, pyocd_uid=bench.pyocd_uid, bench=bench)
    except BaseException:
        bench.release()
        raise
