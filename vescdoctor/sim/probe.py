"""pyOCD's own probes over the bench's simulated USB, so pyOCD's probe, DP/AP, core and flash-loader code run for real:
- probe: stlink-*: StlinkProbe over `STLinkUSBInterface` on the bench's pyusb backend;
- probe: cmsis-dap: CMSISDAPProbe over DAPAccessCMSISDAP over `PyUSBv2`, whose open() finds the bench's device
  instead of scanning real USB (BenchPyUSBv2; `VescSimProbe.get_probe_with_id` returns it for such a board).

`unique_id` is the board directory. Boards are listed (`pyocd list`) only when VESCDOCTOR_SIM_BOARDS names them
(os.pathsep-separated directories); `-u vescsim:BOARD_DIR` reaches any board directly.

pyOCD loads its probe plugins while it imports itself, and our plugin's load() asks this module for the class. So
that importing this module first cannot start that cycle half-way, nothing here imports pyOCD at import time:
`VescSimProbe` is built on first access (module __getattr__).
"""
from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path

from .lazy import lazy_attribute

LOG = logging.getLogger(__name__)
BOARDS_ENV = "VESCDOCTOR_SIM_BOARDS"


def _build_probe_class():
    import usb.core
    import usb.util
    from pyocd.probe.cmsis_dap_probe import CMSISDAPProbe
    from pyocd.probe.pydapaccess.dap_access_api import DAPAccessIntf
    from pyocd.probe.pydapaccess.dap_access_cmsis_dap import DAPAccessCMSISDAP
    from pyocd.probe.pydapaccess.interface.pyusb_v2_backend import (
        HasCmsisDapv2Interface,
        PyUSBv2,
        _match_cmsis_dap_v2_interface,
    )
    from pyocd.probe.stlink.usb import STLinkUSBInterface
    from pyocd.probe.stlink_probe import StlinkProbe

    from .bench import Bench

    class BoardBound:
        """What both simulated probes add to pyOCD's own: the board directory as the probe's unique id, and the
        board saved and released when pyOCD closes the probe (or, at the latest, when the probe is collected)."""

        def _bind(self, bench: Bench) -> None:
            self.bench = bench
            self._release = weakref.finalize(self, bench.release)

        @property
        def unique_id(self) -> str:
            return str(self.bench.path)

        def close(self):
            try:
                super().close()
            finally:
                self.bench.save()
                self._release()

    class VescSimProbe(BoardBound, StlinkProbe):
        @classmethod
        def get_all_connected_probes(cls, unique_id=None, is_explicit=False):
            probes = []
            for entry in filter(None, os.environ.get(BOARDS_ENV, "").split(os.pathsep)):
                probe = cls.get_probe_with_id(entry, is_explicit)
                if probe is not None:
                    probes.append(probe)
            return probes

        @classmethod
        def get_probe_with_id(cls, unique_id, is_explicit=False):
            path = Path(unique_id).expanduser()
            if not (path / "board.yaml").is_file():
                if is_explicit:
                    LOG.error("vescsim: %s is not a board directory (board.yaml and flash.bin)", unique_id)
                return None
            bench = Bench.acquire(path)
            if bench.cmsis_dap is not None:
                return VescSimCmsisDapProbe.for_bench(bench)
            device = usb.core.find(backend=bench.usb_backend, idVendor=0x0483,
                                   custom_match=lambda d: d.idProduct in STLinkUSBInterface.USB_PID_EP_MAP)
            if device is None:
                bench.release()
                return None
            return cls(STLinkUSBInterface(device), bench)

        def __init__(self, device: STLinkUSBInterface, bench: Bench):
            super().__init__(device)
            self._bind(bench)
            StlinkProbe._mbed_board_id_cache[device.serial_number] = None  # no MSD volume to scan

        @property
        def description(self) -> str:
            return f"{self.bench.stlink.model.name} (vescsim {self.bench.path.name})"

    class BenchPyUSBv2(PyUSBv2):
        """pyOCD's CMSIS-DAP v2 transport, opening the bench's pyusb device instead of scanning real USB (the only
        change: the body is pyOCD 0.46's PyUSBv2.open with `usb_find` bound to the bench's backend)."""

        def __init__(self, dev, backend):
            super().__init__(dev)
            self._backend = backend

        def open(self):
            assert self.closed is True
            dev = usb.core.find(backend=self._backend, custom_match=HasCmsisDapv2Interface(self.serial_number))
            if dev is None:
                raise DAPAccessIntf.DeviceError(f"Probe {self.serial_number} not found")
            config = dev.get_active_configuration()
            interface = usb.util.find_descriptor(config, custom_match=_match_cmsis_dap_v2_interface)
            if interface is None:
                raise DAPAccessIntf.DeviceError(f"Probe {self.serial_number} has no CMSIS-DAPv2 interface")
            endpoints = interface.endpoints()
            try:
                usb.util.claim_interface(dev, interface.bInterfaceNumber)
            except usb.core.USBError as exc:
                raise DAPAccessIntf.DeviceError(f"Unable to claim interface for probe {self.serial_number}") from exc
            self.ep_out, self.ep_in = endpoints[0], endpoints[1]
            self.ep_swo = endpoints[2] if len(endpoints) > 2 else None
            self.dev = dev
            self.intf_number = interface.bInterfaceNumber
            self.closed = False
            self.start_rx()

    class VescSimCmsisDapProbe(BoardBound, CMSISDAPProbe):
        """pyOCD's CMSISDAPProbe over DAPAccessCMSISDAP over the bench's CMSIS-DAP v2 device."""

        @classmethod
        def for_bench(cls, bench: Bench):
            device = usb.core.find(backend=bench.usb_backend, custom_match=HasCmsisDapv2Interface())
            if device is None:  # unplugged
                bench.release()
                return None
            interface = BenchPyUSBv2(device, bench.usb_backend)
            return cls(DAPAccessCMSISDAP(interface.serial_number, interface=interface), bench)

        def __init__(self, link, bench: Bench):
            super().__init__(link)
            self._bind(bench)

        @property
        def board_id(self):
            return None  # the serial is not a DAPLink board ID: no Mbed board to look up

        @property
        def description(self) -> str:
            return f"{self.vendor_name} {self.product_name} (vescsim {self.bench.path.name})"

    VescSimProbe.CmsisDapProbe = VescSimCmsisDapProbe
    return VescSimProbe


__getattr__ = lazy_attribute("VescSimProbe", _build_probe_class)
