"""The seam to the boot model (vescdoctor/sim/boot.py, another part of the bench): first-boot effects, what the
board shows on USB, and the chip's unique ID. Until boot.py exists the bench still works: no first-boot effects,
no firmware devices on USB, and a fixed unique ID.
"""
from __future__ import annotations

import importlib

# A plausible F405 UID (the three words of a real one's layout: X/Y on wafer, wafer and lot number).
FALLBACK_UID = bytes.fromhex("31002d000b47333035323833")


def _boot():
    try:
        return importlib.import_module("vescdoctor.sim.boot")
    except ImportError:
        return None


def power_on_reset(board) -> None:
    boot = _boot()
    if boot is not None:
        boot.power_on_reset(board)


def evaluate(board):
    """The boot model's BootState, or None without a boot model."""
    boot = _boot()
    return boot.evaluate(board) if boot is not None else None


def unique_id(board) -> bytes:
    boot = _boot()
    uid = boot.unique_id(board) if boot is not None and hasattr(boot, "unique_id") else FALLBACK_UID
    if len(uid) != 12:
        raise ValueError(f"boot.unique_id gave {len(uid)} bytes, expected 12")
    return bytes(uid)


def image_runnable(board) -> bool:
    """Whether the boot model finds a runnable application (spec rule 3); True without a boot model."""
    boot = _boot()
    if boot is None:
        return True
    return boot.runnable(boot._flash_view(board))[0]
