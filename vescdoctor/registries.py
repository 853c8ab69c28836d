"""The names the graph may refer to: every built-in probe and fix, registered by importing their modules.

Probe and fix modules import their heavy libraries (pyOCD, pyusb, serial) inside the functions, so loading the
registries stays fast enough for `rules check`.
"""
from __future__ import annotations

import importlib

PROBE_MODULES = ("usb", "vesc", "swd", "flash_map", "core_state")
FIX_MODULES = ("actions",)


def _load(package: str, names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(f"vescdoctor.{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"vescdoctor.{package}.{name}":
                raise  # a real import error inside the module, not a module still to be written


def probe_facts() -> dict[str, tuple[str, ...]]:
    from .probes.base import REGISTRY

    _load("probes", PROBE_MODULES)
    return {name: spec.provides for name, spec in REGISTRY.items()}


def fix_facts() -> dict[str, tuple[str, ...]]:
    from .fixes.registry import FIXES

    _load("fixes", FIX_MODULES)
    return {name: spec.provides for name, spec in FIXES.items()}
