"""The one place vescdoctor opens pyOCD, for a real probe and for the bench alike.

`open_session(None)` picks the only connected probe; "stlink:SERIAL" picks one ST-Link; a plugin's prefix
("vescsim:/abs/board/dir", the bench's) goes to that plugin only. An Environment passes the probe it found itself
(`probe=`) and its reset timings (`options`). pyOCD's Session does os.chdir(project_dir) and looks for pyocd.yaml and
pyocd_user.py there: project_dir is pinned to the current directory (so the chdir is a no-op) and config files are
off; a pyocd_user.py in the current directory would still be loaded by pyOCD.
"""
from __future__ import annotations

import os
from typing import Any

from pyocd.core import exceptions
from pyocd.core.session import Session
from pyocd.probe.aggregator import DebugProbeAggregator

from .stm32f405 import TARGET_NAME, register_target

CONNECT_MODES = ("halt", "pre-reset", "under-reset", "attach")


class ProbeNotFound(exceptions.ProbeError):
    """No debug probe matches (none connected, or not the one asked for)."""


class ProbeAmbiguous(exceptions.ProbeError):
    """Several probes are connected and none was named; `unique_ids` lists them."""

    def __init__(self, unique_ids: list[str]):
        super().__init__(f"{len(unique_ids)} debug probes connected ({', '.join(unique_ids)}); name one")
        self.unique_ids = unique_ids


class SwdConnectError(exceptions.Error):
    """The probe opened but the target did not answer. The session is closed; what the probe measured is kept."""

    def __init__(self, message: str, *, connect_mode: str, target_voltage: float | None, probe_id: str):
        super().__init__(message)
        self.connect_mode = connect_mode
        self.target_voltage = target_voltage
        self.probe_id = probe_id


def session_options(connect_mode: str, **options: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "target_override": TARGET_NAME,
        "connect_mode": connect_mode,
        "no_config": True,
        "project_dir": os.getcwd(),
        # Real NRST lines need a few ms (RC on the board). pyOCD's defaults are 100 ms each.
        "reset.hold_time": 0.02,
        "reset.post_delay": 0.02,
        "reset.dap_recover.timeout": 2.0,
    }
    defaults.update(options)
    return defaults


def find_probe(unique_id: str | None) -> Any:
    """The DebugProbe for `unique_id` (or the only one connected). Raises ProbeNotFound / ProbeAmbiguous."""
    probes = DebugProbeAggregator.get_all_connected_probes(unique_id=unique_id)
    if not probes:
        raise ProbeNotFound("no debug probe found" + (f" matching '{unique_id}'" if unique_id else ""))
    if len(probes) > 1:
        raise ProbeAmbiguous([p.unique_id for p in probes])
    return probes[0]


def read_target_voltage(session: Session) -> float | None:
    """Target voltage the probe measures now (ST-Link only; None when the probe cannot tell)."""
    link = getattr(session.probe, "_link", None)  # StlinkProbe keeps its STLink here (private in pyOCD 0.46)
    if link is None or not hasattr(link, "get_target_voltage"):
        return None
    try:
        link.get_target_voltage()
    except exceptions.Error:
        return None
    return link.target_voltage


def open_session(unique_id: str | None, *, connect_mode: str = "halt", probe: Any = None,
                 **options: Any) -> Session:
    """Open an inited pyOCD Session on an STM32F405RG. The caller closes it (or uses it in `with`). `probe`: the
    DebugProbe to use (None: find the one `unique_id` names).

    Raises ProbeNotFound / ProbeAmbiguous before touching the target, and SwdConnectError (with the target voltage
    the probe measured) when the target does not answer in `connect_mode`.
    """
    if connect_mode not in CONNECT_MODES:
        raise ValueError(f"connect_mode {connect_mode!r} is not one of {', '.join(CONNECT_MODES)}")
    register_target()
    probe = probe if probe is not None else find_probe(unique_id)
    session = Session(probe, auto_open=False, **session_options(connect_mode, **options))
    try:
        session.open()
    except exceptions.Error as exc:
        voltage = read_target_voltage(session) if probe.is_open else None
        session.context_state.suppress_disconnect_error = True
        try:
            session.close()
        except Exception:  # the probe may be gone (unplugged): nothing more to release
            pass
        cause = exc.__cause__ or exc
        raise SwdConnectError(f"target did not answer ({connect_mode}): {cause}", connect_mode=connect_mode,
                              target_voltage=voltage, probe_id=probe.unique_id) from exc
    return session


def allow_x32_erase(session: Session, volts: float | None = None) -> None:
    """Erase at PSIZE x32 (stm32f405.X32EraseFlash) only when the probe measured a supply of 2.7 V or more (RM0090
    table 6); `volts`: that measurement, when the caller already has it. A probe that cannot measure (most CMSIS-DAP
    probes) keeps x8, allowed at any voltage: a VESC runs at 3.3 V, but a failing regulator is what nobody measured.
    vescdoctor's link (swdlink.py) calls it; a bare open_session keeps pyOCD's algorithm (x8), as pyOCD would."""
    from .stm32f405 import X32_MIN_VOLTS

    target = session.target
    if hasattr(target, "erase_x32"):
        volts = read_target_voltage(session) if volts is None else volts
        target.erase_x32 = volts is not None and volts >= X32_MIN_VOLTS
