"""Injected faults of board.md, read from board.config.faults.

One-shot faults (probe_unplug_after_bytes, power_loss_after_erases) are removed from the config when they fire,
and the bench saves the board as the fault left it. stuck_bits is a defect of the flash cells and stays;
swd_error_rate is a noisy wire and stays too (seeded, so a run is repeatable).
"""
from __future__ import annotations

import random
from collections.abc import Callable

SWD_ERROR_SEED = 0x5EED


class Faults:
    def __init__(self, config, on_fired: Callable[[str], None] = lambda name: None):
        self._config = config
        self._on_fired = on_fired
        self.bytes_programmed = 0
        self.sector_erases = 0
        self._rng = random.Random(SWD_ERROR_SEED)

    @property
    def stuck_bits(self) -> dict[int, int]:
        """Flash address -> the byte value that cell always holds."""
        return {item["addr"]: item["value"] for item in self._config.faults.get("stuck_bits", [])}

    def clock_too_fast(self, swd_hz: int) -> bool:
        """The wiring cannot carry this SWD clock (board field swd_max_khz): every transfer at it fails."""
        limit = self._config.swd_max_khz
        return limit is not None and swd_hz > limit * 1000

    def swd_transfer_fails(self, swd_hz: int = 0) -> bool:
        """Whether this SWD transfer is garbled on the wire: a clock above what the wiring carries, or the
        injected error rate."""
        if self.clock_too_fast(swd_hz):
            return True
        rate = self._config.faults.get("swd_error_rate", 0.0)
        return bool(rate) and self._rng.random() < rate

    def count_programmed(self, nbytes: int) -> bool:
        """Count programmed bytes; True when the probe-unplug fault fires now."""
        self.bytes_programmed += nbytes
        limit = self._config.faults.get("probe_unplug_after_bytes")
        if limit is not None and self.bytes_programmed >= limit:
            self._fire("probe_unplug_after_bytes")
            return True
        return False

    def count_erase(self) -> bool:
        """Count a sector erase; True when the power-loss fault fires now."""
        self.sector_erases += 1
        limit = self._config.faults.get("power_loss_after_erases")
        if limit is not None and self.sector_erases >= limit:
            self._fire("power_loss_after_erases")
            return True
        return False

    def _fire(self, name: str) -> None:
        self._config.faults.pop(name, None)
        self._on_fired(name)
