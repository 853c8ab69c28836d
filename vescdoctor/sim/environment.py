"""The bench as an Environment (vescdoctor/environment.py): the same protocol a real machine implements, with what
only the bench knows behind it: the owner's answers, the chip time its clock counts, its pyOCD probe.

The VESC firmware's serial side is the pty the bench serves (sim/vesc_serial.py). The port is listed only while the
bench shows the VESC CDC device on USB, asked at each call: a fix may reset or halt the chip and change what runs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from serial.tools.list_ports_common import ListPortInfo

from ..environment import HostEnvironment
from .bench import Bench
from .boot import evaluate
from .vesc_serial import bench_vesc_device, serve_bench

# The bench's NRST has no RC to wait for, and a silent chip is known at once: no reason to wait as on a real board.
BENCH_PYOCD_OPTIONS = {"reset.hold_time": 0.0, "reset.post_delay": 0.0, "reset.dap_recover.timeout": 0.5}


class SimEnvironment(HostEnvironment):
    """A board directory on the virtual bench. Closing it closes its SWD link, then releases the bench (whose last
    release stops the VESC port and saves the board)."""

    def __init__(self, bench: Bench):
        super().__init__(usb_backend=bench.usb_backend, pyocd_uid=bench.pyocd_uid)
        self.bench: Bench | None = bench
        self._vesc_port: Any = serve_bench(bench)

    @property
    def is_sim(self) -> bool:
        return True

    @property
    def board_dir(self) -> Path | None:
        return Path(self.bench.board.path) if self.bench is not None else None

    def serial_ports(self) -> list[ListPortInfo]:
        if self.bench is None:
            return []
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

    def debug_probe(self) -> Any:
        """Straight to the bench's probe: no scan of real USB."""
        from ..target.session import ProbeNotFound
        from .probe import VescSimProbe

        where = self.pyocd_uid.split(":", 1)[1] if self.pyocd_uid else ""
        probe = VescSimProbe.get_probe_with_id(where, is_explicit=True)
        if probe is None:
            raise ProbeNotFound(f"no simulated probe at {where} (board has probe: none?)")
        return probe

    def pyocd_options(self) -> dict[str, Any]:
        return dict(BENCH_PYOCD_OPTIONS)

    def unlisted_probe_possible(self) -> bool:
        return False  # the bench's USB shows its probe whenever the board has one (board.md `probe`)

    def owner_answer(self, question: str) -> str | None:
        """What the board's owner answers (spec/board.md): `led` from what the boot model shows, `hw` from the
        board's `hw`, anything else from the board's `answers`; None where the board says nothing."""
        if self.bench is None:
            return None
        board = self.bench.board
        if question == "led":
            return evaluate(board).led
        if question == "hw":
            return board.config.hw
        return board.config.answers.get(question)

    def chip_seconds(self) -> float | None:
        return self.bench.board.config.chip_seconds if self.bench is not None else None

    def describe(self) -> str:
        return f"simulated board {self.board_dir}"

    def close(self) -> None:
        super().close()  # the SWD link first: its session talks to the bench's probe
        self._vesc_port = None
        if self.bench is not None:
            bench, self.bench = self.bench, None
            bench.release()


def open_sim_environment(board_dir: str | Path) -> SimEnvironment:
    """A simulated board directory on the bench (InputError when it is not a valid board)."""
    bench = Bench.acquire(board_dir)
    try:
        return SimEnvironment(bench)
    except BaseException:
        bench.release()
        raise
