"""The fix steps by name: what a plan (rules/plans.yaml) and the graph may refer to. Implementations: execute.py.

`needs` says which image file a step writes (None: none); the plan loader checks plans against this table.
"""
from __future__ import annotations

from .registry import register_fix

STEP_NEEDS: dict[str, str | None] = {}


def _step(name: str, *, destructive: bool, title: str, needs: str | None = None,
          provides: tuple[str, ...] = ()) -> None:
    register_fix(name, destructive=destructive, title=title, provides=provides)
    STEP_NEEDS[name] = needs


_step("backup", destructive=False, title="Back up the whole flash (1 MiB) and the option bytes")
_step("warn-no-backup", destructive=False,
      title="No backup is possible: under read protection (RDP 1) the flash cannot be read, and lifting it erases "
            "the whole flash")
_step("unlock-rdp", destructive=True,
      title="Lift read protection (RDP 1 -> 0): the chip erases its whole flash")
_step("clear-wrp", destructive=True, title="Clear the write protection of every sector (nWRP)")
_step("mass-erase", destructive=True,
      title="Erase the whole chip (mass erase: firmware, configuration, update buffer, bootloader)")
_step("restore-config", destructive=True,
      title="Write the configuration (sectors 1-2) back from the backup just made")
_step("erase-config", destructive=True,
      title="Erase the configuration sectors 1-2 (0x08004000-0x0800BFFF; the backup keeps them)")
_step("write-bootloader", destructive=True, title="Write the bootloader at 0x080E0000 (sector 11, erased first)",
      needs="bootloader")
_step("write-firmware", destructive=True,
      title="Write the firmware at 0x08000000 (erasing only the app sectors it needs)", needs="firmware")
_step("reset", destructive=False, title="Reset the chip so the firmware starts")
_step("reprobe", destructive=False, title="Look again: USB, the VESC's reply, the flash map")
