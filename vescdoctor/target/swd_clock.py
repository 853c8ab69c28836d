"""The SWD clock vescdoctor asks of a probe: its fastest first, then down a ladder when the wires do not carry it.

pyOCD asks 1 MHz unless told (its `frequency` session option, pyocd/core/options.py); on an ST-Link/V2 that runs
950 kHz, a quarter of what the probe does. vescdoctor asks the probe's fastest clock and, when transfers fail at
it (long or loose wires garble the bits: a parity or protocol error, never "no ACK"), steps down:

- ST-Link/V2 and V2-1: 4.6, 1.8, 0.95, 0.48 MHz, steps of the probe's own table (pyocd/probe/stlink/constants.py
  `SWD_FREQ_MAP`; pyOCD picks the first step not above the request, pyocd/probe/stlink/stlink.py
  `set_swd_frequency`).
- STLINK-V3: 24, 8, 3.3, 1 MHz (its SWD clocks, GET_COM_FREQ; pyOCD's `set_com_frequency` picks the nearest not
  above).
- CMSIS-DAP: 4, 2, 1, 0.5 MHz. The probe's firmware clamps a request above its own maximum (CMSIS-DAP DAP.c
  `DAP_SWJ_Clock`: at or above MAX_SWJ_CLOCK it runs its fastest); 4 MHz is a clock every DAPLink-class probe
  runs, not the fastest of the fast ones, because nothing reports back which clock a CMSIS-DAP probe runs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

LADDERS: dict[str, tuple[int, ...]] = {
    "stlink-v2": (4_600_000, 1_800_000, 950_000, 480_000),
    "stlink-v3": (24_000_000, 8_000_000, 3_300_000, 1_000_000),
    "cmsis-dap": (4_000_000, 2_000_000, 1_000_000, 500_000),
}


@dataclass
class ClockStep:
    """One step down: from which clock to which, and the transfer error that made it."""

    from_khz: int
    to_khz: int
    reason: str


def probe_kind(probe) -> str:
    """The ladder a pyOCD DebugProbe takes: stlink-v2 (V2 and V2-1), stlink-v3, or cmsis-dap (anything else)."""
    from pyocd.probe.stlink_probe import StlinkProbe

    if isinstance(probe, StlinkProbe):
        device = getattr(getattr(probe, "_link", None), "_device", None)  # pyOCD 0.46: STLink keeps its USB device
        version = str(getattr(device, "version_name", "") or "")
        return "stlink-v3" if version.startswith("V3") else "stlink-v2"
    return "cmsis-dap"


def is_clock_error(exc: BaseException) -> bool:
    """A transfer error a slower clock may cure: bits garbled on the wire (parity, protocol, an unexpected ACK).
    Not a fault (the chip refused the access), not "no ACK" (nothing answers: wiring, power, a chip that took its
    SWD pins), not a probe error."""
    from pyocd.core import exceptions

    seen = 0
    err: BaseException | None = exc
    while err is not None and seen < 8:  # the error pyOCD raised, under what wrapped it (SwdConnectError, ...)
        if isinstance(err, exceptions.TransferError) and not isinstance(
                err, (exceptions.TransferFaultError, exceptions.TransferTimeoutError)):
            return "no ack" not in str(err).lower()
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


class ClockLadder:
    """Where a link stands on its probe's ladder, and every step it took down."""

    def __init__(self, kind: str):
        self.kind = kind
        self.ladder = LADDERS[kind]
        self.index = 0
        self.steps: list[ClockStep] = []

    @property
    def hz(self) -> int:
        return self.ladder[self.index]

    @property
    def can_step_down(self) -> bool:
        return self.index + 1 < len(self.ladder)

    def step_down(self, reason: str) -> bool:
        """Go one clock down (False at the bottom: nothing slower to try)."""
        if not self.can_step_down:
            return False
        before = self.hz
        self.index += 1
        self.steps.append(ClockStep(before // 1000, self.hz // 1000, reason[:200]))
        return True

    def steps_json(self) -> list[dict]:
        return [asdict(s) for s in self.steps]

    def words(self) -> str | None:
        """What the rider reads when the clock came down, else None."""
        if not self.steps:
            return None
        return (f"long or loose wires: slowed the SWD clock to {_mhz(self.hz)} (transfers failed at "
                f"{', '.join(_mhz(s.from_khz * 1000) for s in self.steps)}); shorter wires make it faster")


def _mhz(hz: int) -> str:
    return f"{hz / 1e6:g} MHz" if hz >= 1_000_000 else f"{hz // 1000} kHz"
