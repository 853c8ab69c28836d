"""The assembled simulated board in this process: board files, chip, debug probe (ST-Link or CMSIS-DAP), USB devices.

`Bench.acquire(path)` returns the one Bench for that board directory in this process (reference-counted), so the
pyOCD probe plugin and vescdoctor's own USB and serial code share one Board in memory. The last `release()` saves.

Other parts of the bench hook in without editing this file: functions in `Bench.start_hooks` run for every new
Bench (the serial side starts its pty there) and may append to `bench.stop_hooks` (run on the last release, before
saving); `bench.attachments` is theirs to keep per-bench objects in.
"""
from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from . import chip_state
from .board import Board
from .boot import evaluate
from .chip import Chip
from .cmsis_dap import CmsisDapEmulator
from .core import State
from .stlink import MODELS, StlinkEmulator
from .usb_backend import SimUsbBackend
from .usb_descriptors import UsbDeviceSpec, cmsis_dap_device, dfu_device, stlink_device, vesc_cdc_device

LOG = logging.getLogger(__name__)


class Bench:
    _registry: ClassVar[dict[Path, Bench]] = {}
    _lock: ClassVar[threading.RLock] = threading.RLock()
    start_hooks: ClassVar[list[Callable[[Bench], None]]] = []

    def __init__(self, path: Path):
        self.path = path
        self.board = Board.load(path)
        self.chip = Chip(self.board, on_fault=self._fault_fired)
        self.stop_hooks: list[Callable[[Bench], None]] = []
        self.attachments: dict[str, Any] = {}
        self.probe_serial = hashlib.sha1(str(path).encode()).hexdigest()[:24].upper()
        probe = self.board.config.probe
        self.stlink = StlinkEmulator(self.chip, probe) if probe in MODELS else None
        self.cmsis_dap = CmsisDapEmulator(self.chip, self.probe_serial) if probe == "cmsis-dap" else None
        self._probe_device = (stlink_device(self.stlink.model, self.probe_serial, self.stlink) if self.stlink else
                              cmsis_dap_device(self.probe_serial, self.cmsis_dap) if self.cmsis_dap else None)
        self._firmware_devices: dict[tuple, UsbDeviceSpec] = {}
        self.usb_backend = SimUsbBackend(self.usb_devices, is_present=self.device_present)
        self._refs = 0
        self._save_failed = False  # said once on stderr; later saves fail as quietly

    # -- lifetime ---------------------------------------------------------------------------------------------------
    @classmethod
    def acquire(cls, path: str | Path) -> Bench:
        resolved = Path(path).resolve()
        with cls._lock:
            bench = cls._registry.get(resolved)
            if bench is None:
                bench = cls(resolved)
                cls._registry[resolved] = bench
                for hook in list(cls.start_hooks):
                    hook(bench)
            bench._refs += 1
            return bench

    def release(self) -> None:
        with self._lock:
            self._refs -= 1
            if self._refs > 0:
                return
            self._registry.pop(self.path, None)
            for hook in self.stop_hooks:
                hook(self)
            measured = self.measurement()  # this command's cost, added to the board's totals
            self.board.config.link_seconds += measured["link_seconds"]
            self.board.config.modelled_seconds += measured["modelled_seconds"]
            self.save()

    def save(self) -> None:
        """Write board.yaml and flash.bin back (atomically), as the chip has left them. A board directory deleted
        while the bench ran (the last save may come from a finalizer at exit) is said once on stderr, not raised."""
        with self._lock:
            try:
                self.board.save()
                chip_state.save(self.chip, self.path)
            except OSError as exc:
                LOG.debug("saving board %s: %s", self.path, exc)
                if not self._save_failed:
                    self._save_failed = True
                    gone = not self.path.is_dir()
                    print(f"vescdoctor: {self.path}: " + ("board directory gone: state not saved" if gone else
                          f"board state not saved: {exc.strerror or exc}"), file=sys.stderr)

    def _fault_fired(self, name: str) -> None:
        LOG.info("bench %s: injected fault %s fired", self.path, name)
        self.save()

    @property
    def pyocd_uid(self) -> str:
        return f"vescsim:{self.path}"

    # -- the user's hands ----------------------------------------------------------------------------------------------
    def set_power(self, on: bool) -> None:
        """Connect or disconnect the battery (a power-on runs the firmware's first boot effects)."""
        self.chip.power_on() if on else self.chip.power_off()
        self.save()

    def replug_probe(self) -> None:
        self.chip.probe_unplugged = False

    # -- what the run cost ---------------------------------------------------------------------------------------------
    @property
    def link(self):
        """The probe's LinkTimer (sim/linktime.py), None without a probe."""
        probe = self.stlink or self.cmsis_dap
        return probe.link if probe is not None else None

    def measurement(self) -> dict[str, Any]:
        """The `bench` block of a report (board.md, "What the bench measures"): what this run would have cost on
        the real chip and probe, since this Bench was made (one command)."""
        with self._lock:
            link = self.link
            if link is not None:
                link.settle()
            timeline = self.chip.clock.timeline
            return {
                "chip_seconds": round(self.chip.clock.now, 6),
                "link_seconds": round(link.seconds if link else 0.0, 6),
                "modelled_seconds": round(timeline.total, 6),
                "bytes_read": link.bytes_read if link else 0,
                "bytes_written": link.bytes_written if link else 0,
                "transfers": link.transfers if link else 0,
                "swd_khz": link.swd_hz // 1000 if link else None,
                "probe": self.board.config.probe,
            }

    # -- USB ------------------------------------------------------------------------------------------------------------
    def usb_devices(self) -> list[UsbDeviceSpec]:
        """What a computer sees on USB now: the probe (whatever the target does) and the board's own device."""
        devices = []
        if self._probe_device is not None and not self.chip.probe_unplugged:
            devices.append(self._probe_device)
        if self.chip.powered and self.chip.core.state is State.FIRMWARE:
            state = evaluate(self.board)
            for spec in getattr(state, "usb_devices", None) or []:
                devices.append(self._firmware_device(spec))
            if len(devices) > (self._probe_device is not None and not self.chip.probe_unplugged):
                # the host sees the firmware's device only once it has enumerated after the last reset
                self.chip.clock.timeline.wait_until("usb_enumeration", self.chip.usb_ready_at)
        return devices

    def device_present(self, device: UsbDeviceSpec) -> bool:
        """Whether `device` is on USB now; the probe's own answer needs no look at what the firmware does."""
        if device is self._probe_device:
            return not self.chip.probe_unplugged
        return any(d is device for d in self.usb_devices())

    def _firmware_device(self, spec) -> UsbDeviceSpec:
        key = (spec.kind, spec.vid, spec.pid, spec.manufacturer, spec.product, spec.serial)
        if key not in self._firmware_devices:
            make = dfu_device if spec.kind == "dfu" else vesc_cdc_device
            device = make(spec.vid, spec.pid, spec.manufacturer, spec.product, spec.serial)
            device.kind = spec.kind
            self._firmware_devices[key] = device
        return self._firmware_devices[key]
