"""pyOCD's own StlinkProbe over a simulated ST-Link: `STLinkUSBInterface` runs over the bench's pyusb backend, so
pyOCD's ST-Link, DP/AP, core and flash-loader code all run for real.

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
    from pyocd.probe.stlink.usb import STLinkUSBInterface
    from pyocd.probe.stlink_probe import StlinkProbe

    from .bench import Bench

    class VescSimProbe(StlinkProbe):
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
            device = usb.core.find(backend=bench.usb_backend, idVendor=0x0483,
                                   custom_match=lambda d: d.idProduct in STLinkUSBInterface.USB_PID_EP_MAP)
            if device is None:
                if bench.board.config.probe == "cmsis-dap":
                    LOG.error("vescsim: %s has a CMSIS-DAP probe; the bench simulates SWD only through an ST-Link",
                              path)
                bench.release()
                return None
            return cls(STLinkUSBInterface(device), bench)

        def __init__(self, device: STLinkUSBInterface, bench: Bench):
            super().__init__(device)
            self.bench = bench
            StlinkProbe._mbed_board_id_cache[device.serial_number] = None  # no MSD volume to scan
            self._release = weakref.finalize(self, bench.release)

        @property
        def unique_id(self) -> str:
            return str(self.bench.path)

        @property
        def description(self) -> str:
            return f"{self.bench.stlink.model.name} (vescsim {self.bench.path.name})"

        def close(self):
            try:
                super().close()
            finally:
                self.bench.save()
                self._release()

    return VescSimProbe


__getattr__ = lazy_attribute("VescSimProbe", _build_probe_class)
