"""pyOCD probe plugin "vescsim": `pyocd load -u vescsim:BOARD_DIR ...` talks to a simulated board.

pyOCD imports every `pyocd.probe` entry point while it imports itself, so this module imports nothing heavy and
cannot fail: the probe class (vescdoctor.sim.probe) loads only when pyOCD asks for it. Loading also registers the
stm32f405rg target, so `-t stm32f405rg` works from the pyocd command line.
"""
from __future__ import annotations

from pyocd.core.plugin import Plugin


class VescSimProbePlugin(Plugin):
    def should_load(self) -> bool:
        return True

    def load(self):
        from ..target.stm32f405 import register_target
        from .probe import VescSimProbe
        register_target()
        return VescSimProbe

    @property
    def name(self) -> str:
        return "vescsim"

    @property
    def description(self) -> str:
        return "vescdoctor virtual bench: a simulated VESC board behind a simulated ST-Link"
