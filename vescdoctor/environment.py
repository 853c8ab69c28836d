"""How probes and fixes reach hardware: the real machine's, or the virtual bench's, with no other difference.

`Environment` is the protocol every probe, fix and face talks to; it never says which kind it is except through
`is_sim` / `board_dir` (for reports and for the few host checks that only mean something on a real machine). What
the core may ask:
- `usb_backend`: the pyusb backend to pass to usb.core.find (None: pyusb's default, i.e. libusb on this machine);
- `serial_ports()`: port infos as serial.tools.list_ports gives them; `open_serial(device, **kw)`:
  serial.serial_for_url, so a bench port (`vescsim://...`) opens like /dev/ttyACM0;
- `pyocd_uid`, `debug_probe()`, `pyocd_options()`: which pyOCD debug probe to open and how;
  `unlisted_probe_possible()`: whether pyOCD may find a probe the USB scan does not name (else a diagnosis with no
  probe on USB does not even import pyOCD);
- `swd`: the one SWD link of this environment (vescdoctor/swdlink.py), made on first use, closed with it;
- `owner_answer(question)`: what the board's owner answers to a question nobody answered (None: nobody knows);
- `chip_seconds()`: on the bench, the chip time its clock has counted (None on real hardware);
- `flash_known`: what this session already knows of the chip's flash (`FlashKnown`, target.proven_flash).

`HostEnvironment` is this computer; `vescdoctor.sim.environment.SimEnvironment` the bench. `sim_environment()` below
is the one seam through which the core reaches the simulator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import serial

if TYPE_CHECKING:
    from serial.tools.list_ports_common import ListPortInfo

    from .swdlink import SwdLink


# USB probes pyOCD drives through plugins other than its ST-Link and CMSIS-DAP ones: SEGGER (J-Link), P&E Micro;
# Raspberry Pi's picoprobe (VID 2E8A PID 0004, pyocd 0.46.0 pyocd/probe/picoprobe.py:243).
OTHER_PROBE_VIDS = frozenset({0x1366, 0x1357})
OTHER_PROBE_IDS = frozenset({(0x2E8A, 0x0004)})


@dataclass
class FlashKnown:
    """What a session already knows of the chip's flash, so it is not read again (target.proven_flash): the blocks
    its diagnosis read, for the backup that follows (proven by the chip's CRCs), and the flash a fix proved before
    its reset, for the fresh look after it. Each is taken once."""
    seen: dict[int, bytes] = field(default_factory=dict)
    proven: bytes | None = None


@runtime_checkable
class Environment(Protocol):
    """The hardware a session talks to. A context manager: closing it closes its SWD link (and, on the bench,
    releases the board)."""

    usb_backend: Any
    pyocd_uid: str | None
    flash_known: FlashKnown

    @property
    def is_sim(self) -> bool: ...

    @property
    def board_dir(self) -> Path | None: ...

    @property
    def swd(self) -> SwdLink: ...

    def serial_ports(self) -> list[ListPortInfo]: ...

    def open_serial(self, device: str, **kwargs: Any) -> serial.SerialBase: ...

    def debug_probe(self) -> Any: ...

    def pyocd_options(self) -> dict[str, Any]: ...

    def unlisted_probe_possible(self) -> bool: ...

    def owner_answer(self, question: str) -> str | None: ...

    def chip_seconds(self) -> float | None: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...

    def __enter__(self) -> Environment: ...

    def __exit__(self, *exc: object) -> None: ...


class HostEnvironment:
    """This computer's USB, serial ports and debug probes. The SWD link it owns is made on first use."""

    def __init__(self, *, usb_backend: Any = None, pyocd_uid: str | None = None):
        self.usb_backend = usb_backend
        self.pyocd_uid = pyocd_uid
        self._swd: SwdLink | None = None
        self.flash_known = FlashKnown()

    @property
    def is_sim(self) -> bool:
        return False

    @property
    def board_dir(self) -> Path | None:
        return None

    @property
    def swd(self) -> SwdLink:
        if self._swd is None:
            from .swdlink import SwdLink

            self._swd = SwdLink(self.pyocd_uid, find_probe=self.debug_probe, options=self.pyocd_options())
        return self._swd

    def serial_ports(self) -> list[ListPortInfo]:
        """Serial ports as serial.tools.list_ports.comports() lists them (fresh on every call)."""
        from serial.tools import list_ports

        return list(list_ports.comports())

    def open_serial(self, device: str, **kwargs: Any) -> serial.SerialBase:
        """Open a port by device path or pyserial URL; raises serial.SerialException as pyserial does."""
        return serial.serial_for_url(device, **kwargs)

    def debug_probe(self) -> Any:
        """The pyOCD DebugProbe named by `pyocd_uid` (or the only one connected): ProbeNotFound / ProbeAmbiguous."""
        from .target.session import find_probe

        return find_probe(self.pyocd_uid)

    def unlisted_probe_possible(self) -> bool:
        """Whether pyOCD may find a debug probe the USB scan (knowledge.usb_ids: ST-Links, CMSIS-DAP) does not name:
        a probe the user named (pyOCD's `remote:` probes are not on USB), boards the bench's pyOCD plugin lists
        (VESCDOCTOR_SIM_BOARDS, sim/probe.py), or a USB device of pyOCD's other probe plugins (SEGGER J-Link,
        pyocd/probe/jlink_probe.py; P&E Micro; Raspberry Pi's picoprobe, pyocd/probe/picoprobe.py:243). True when
        USB cannot be listed."""
        import os

        if self.pyocd_uid or os.environ.get("VESCDOCTOR_SIM_BOARDS"):
            return True
        try:
            import usb.core

            ids = [(d.idVendor, d.idProduct) for d in usb.core.find(find_all=True, backend=self.usb_backend)]
        except Exception:  # noqa: BLE001 - no backend, no permission: let pyOCD look
            return True
        return any(vid in OTHER_PROBE_VIDS or (vid, pid) in OTHER_PROBE_IDS for vid, pid in ids)

    def pyocd_options(self) -> dict[str, Any]:
        # Real NRST lines need a few ms (RC on the board). pyOCD's defaults are 100 ms each.
        return {"reset.hold_time": 0.02, "reset.post_delay": 0.02, "reset.dap_recover.timeout": 2.0}

    def owner_answer(self, question: str) -> str | None:
        return None  # the owner is the user at the keyboard: the faces ask them

    def chip_seconds(self) -> float | None:
        return None

    def describe(self) -> str:
        return "this computer's USB and serial ports"

    def close(self) -> None:
        if self._swd is not None:
            self._swd.close()

    def __enter__(self) -> HostEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def real_environment(probe_uid: str | None = None) -> HostEnvironment:
    """This computer's USB, serial ports and debug probes. `probe_uid` picks a debug probe when several are there."""
    return HostEnvironment(usb_backend=host_usb_backend(), pyocd_uid=probe_uid)


def host_usb_backend() -> Any:
    """The libusb backend pyOCD itself uses (the copy the libusb-package wheel ships), so USB works where pyOCD
    does even without a system libusb; None (pyusb's own search) if that package is missing."""
    try:
        import libusb_package
    except ImportError:
        return None
    return libusb_package.get_libusb1_backend()


def sim_environment(board_dir: str | Path) -> Environment:
    """A simulated board directory on the virtual bench (InputError when it is not a valid board). The seam: the
    only place outside vescdoctor/sim/ that imports the simulator."""
    from .sim.environment import open_sim_environment

    return open_sim_environment(board_dir)
