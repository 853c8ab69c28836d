"""One SWD connection for a whole run: the connect ladder, then the open session shared by probes and fixes.

The Environment owns its link (`env.swd`, made on first use, closed with the environment). Each `connect()` starts
a fresh list of attempts: what a diagnosis reports is what its own connect tried.

The ladder tries `attach` first: it connects without halting or resetting the core, so a VESC whose firmware is
driving a motor is not frozen mid-PWM by a diagnosis. Only if the chip does not answer does it try `under-reset`
(needs NRST wired), which reaches chips whose firmware sleeps or remaps the SWD pins. Each attempt is recorded.

Each mode is tried at the probe's fastest SWD clock first; when the transfers fail there with errors a slower
clock may cure (target/swd_clock.py: parity or protocol errors, long or loose wires), the same mode is tried again
one clock down. The clock reached holds for the rest of the run (the later modes and reconnects start there), and
every step is recorded (`clock.steps`).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ProbeChoiceNeeded

LOG = logging.getLogger(__name__)

LADDER = ("attach", "under-reset")
POWERED_VOLTS = 1.5


@dataclass
class Attempt:
    mode: str
    ok: bool
    error: str | None = None
    target_voltage: float | None = None
    swd_khz: int | None = None  # the SWD clock asked for this attempt


class SwdLink:
    """`find_probe` gives the pyOCD DebugProbe to open (the Environment's lookup); `options` its session options."""

    def __init__(self, unique_id: str | None, *, find_probe: Callable[[], Any] | None = None,
                 options: dict[str, Any] | None = None):
        self.unique_id = unique_id
        self._find_probe = find_probe
        self._options = dict(options or {})
        self.session: Any = None
        self.mode: str | None = None
        self.attempts: list[Attempt] = []
        self.probe_found: bool | None = None
        self.probe_description: str | None = None
        self.probe_uid: str | None = None
        self.target_voltage: float | None = None
        self.probe_error: str | None = None
        self.probe_firmware_old: str | None = None  # the probe's firmware version when pyOCD refuses it as too old
        self.clock: Any = None  # target.swd_clock.ClockLadder, made when the probe is known

    @property
    def target(self) -> Any:
        return self.session.target if self.session else None

    @property
    def connected(self) -> bool:
        return self.session is not None

    def connect(self, ladder: tuple[str, ...] = LADDER) -> bool:
        """Walk the ladder until one mode answers. Returns whether the chip is connected."""
        self.close()
        self.attempts = []  # this connect's own: a second diagnosis does not report the first one's
        for mode in ladder:
            outcome = self._connect_mode(mode)
            if outcome is not None:
                return outcome
        return False

    def _connect_mode(self, mode: str) -> bool | None:
        """Try one mode, stepping the clock down while the failure is one a slower clock may cure. True:
        connected; False: stop the ladder (no probe, no power, a probe pyOCD refuses); None: try the next mode."""
        from pyocd.core import exceptions

        from .target.session import (
            ProbeAmbiguous,
            ProbeNotFound,
            SwdConnectError,
            allow_x32_erase,
            open_session,
            read_target_voltage,
        )
        from .target.swd_clock import ClockLadder, is_clock_error, probe_kind

        while True:
            try:
                probe = self._find_probe() if self._find_probe is not None else None
                if self.clock is None and probe is not None:
                    self.clock = ClockLadder(probe_kind(probe))
                hz = self.clock.hz if self.clock is not None else None
                options = {**self._options, **({"frequency": hz} if hz else {})}
                session = open_session(self.unique_id, connect_mode=mode, probe=probe, **options)
            except ProbeNotFound as exc:
                self.probe_found = False
                self.probe_error = str(exc)
                return False
            except ProbeAmbiguous as exc:
                # Guessing which probe is wired to the VESC could erase the wrong board: the user names it.
                raise ProbeChoiceNeeded(str(exc), exc.unique_ids) from None
            except SwdConnectError as exc:
                self.probe_found = True
                self.probe_uid = exc.probe_id
                self.target_voltage = exc.target_voltage
                self.attempts.append(Attempt(mode, False, _short(exc), exc.target_voltage, _khz(hz)))
                if exc.target_voltage is not None and exc.target_voltage < POWERED_VOLTS:
                    return False  # no power: another mode will not help
                if is_clock_error(exc) and self.clock is not None and self.clock.step_down(_short(exc)):
                    LOG.info("SWD transfers failed at %s kHz: trying %s kHz", _khz(hz), _khz(self.clock.hz))
                    continue
                return None
            except exceptions.Error as exc:
                self.probe_found = True
                self.attempts.append(Attempt(mode, False, _short(exc), None, _khz(hz)))
                self.probe_firmware_old = probe_firmware_too_old(exc)
                return False if self.probe_firmware_old else None  # a too old probe refuses every mode alike
            self.probe_found = True
            self.target_voltage = read_target_voltage(session)
            allow_x32_erase(session, self.target_voltage)  # measured >= 2.7 V: erase at x32 (target/stm32f405.py)
            self.session, self.mode = session, mode
            self.probe_uid = session.probe.unique_id
            self.probe_description = session.probe.description
            self.attempts.append(Attempt(mode, True, None, self.target_voltage, _khz(hz)))
            return True

    @property
    def swd_khz(self) -> int | None:
        """The SWD clock asked of the probe (None: pyOCD's default, no probe known)."""
        return _khz(self.clock.hz) if self.clock is not None else None

    def clock_steps_json(self) -> list[dict[str, Any]]:
        return self.clock.steps_json() if self.clock is not None else []

    def clock_words(self) -> str | None:
        """The rider's sentence when the clock came down (long or loose wires), else None."""
        return self.clock.words() if self.clock is not None else None

    def reconnect(self) -> bool:
        """After a reset that changes what the debugger may do (RDP regression), connect again."""
        return self.connect(ladder=(self.mode,) + tuple(m for m in LADDER if m != self.mode) if self.mode else LADDER)

    def close(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            try:
                session.close()
            except Exception as exc:  # a probe unplugged mid-run: pyOCD's close stops half-way
                LOG.debug("closing the SWD session: %s", exc)
                try:
                    session.probe.close()  # still release the probe (and, on the bench, the board it holds)
                except Exception as exc2:
                    LOG.debug("closing the probe: %s", exc2)

    def attempts_json(self) -> list[dict[str, Any]]:
        return [asdict(a) for a in self.attempts]


# pyOCD refuses an ST-Link whose firmware is older than V2J24 when it opens it (pyocd/probe/stlink/stlink.py,
# STLink.open, MIN_JTAG_VERSION = 24, pyOCD 0.46.0) with this message; the version is as pyOCD spells it (VxJyMz).
_TOO_OLD = re.compile(r"older firmware version.*Current version is (V\d+J\d+\w*), must be at least", re.S)


def probe_firmware_too_old(exc: Exception) -> str | None:
    """The probe's firmware version when `exc` is pyOCD's refusal of a too old ST-Link firmware, else None."""
    found = _TOO_OLD.search(str(exc))
    return found.group(1) if found else None


def _khz(hz: int | None) -> int | None:
    return hz // 1000 if hz else None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
