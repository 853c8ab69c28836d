"""The names the graph may refer to: every built-in probe and fix step, with the facts each provides.

Probe modules import their heavy libraries (pyOCD, pyusb, serial) inside their functions, so loading them stays fast
enough for `rules check`.
"""
from __future__ import annotations

from .probes import core_state, flash_map, swd, usb, vesc  # noqa: F401 - importing a probe module registers its probes
from .probes.base import REGISTRY


def probe_facts() -> dict[str, tuple[str, ...]]:
    return {name: spec.provides for name, spec in REGISTRY.items()}


def fix_facts() -> dict[str, tuple[str, ...]]:
    from .fixes.steps import STEPS

    return {name: step.provides for name, step in STEPS.items()}
