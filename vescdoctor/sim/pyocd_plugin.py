"""pyOCD probe plugin "vescsim": `pyocd load -u vescsim:BOARD_DIR ...` talks to a simulated board.

pyOCD imports every `pyocd.probe` entry point while it imports itself. So that importing this module first cannot
start that cycle half-way, it imports nothing at import time and cannot fail: the plugin class is built when pyOCD
asks for it (module __getattr__, see sim/lazy.py), and the probe class (vescdoctor.sim.probe) when pyOCD loads the plugin. Loading
also registers the stm32f405rg target, so `-t stm32f405rg` works from the pyocd command line.
"""
from __future__ import annotations

from .lazy import lazy_attribute


def _build_plugin_class():
    from pyocd.core.plugin import Plugin

    class VescSimProbePlugin(Plugin):
        def should_load(self) -> bool:
            return True

        def load(self):
            from . import probe
            try:
                from ..target.stm32f405 import register_target
            except ImportError:
                pass  # vescdoctor's target module is importing pyOCD right now; open_session registers it later
            else:
                register_target()
            return probe.VescSimProbe

        @property
        def name(self) -> str:
            return "vescsim"

        @property
        def description(self) -> str:
            return "vescdoctor virtual bench: a simulated VESC board behind a simulated ST-Link"

    return VescSimProbePlugin


__getattr__ = lazy_attribute("VescSimProbePlugin", _build_plugin_class)
