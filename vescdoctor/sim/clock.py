"""Simulated time: how long the real chip and the real probe link would have taken. Nothing sleeps: the bench runs at
full speed and only adds up the seconds.

Chip time (erase, programming) comes from the STM32F405 datasheet (DS8626 rev 9, table "Flash memory programming":
typical values at 2.7-3.6 V for each program/erase parallelism); it goes per operation kind into `by_kind`, into
board.config.chip_seconds (kept across commands) and onto the timeline.

The timeline (`Timeline`) puts chip and link on one modelled clock, overlapped as the real pair overlaps them: a
sector erase started by the flash algorithm runs while pyOCD polls DHCSR, so the link time spent polling is hidden
in the chip's busy time; the host only waits for the chip when it observes the chip done (`sync`). Modelled waits
(USB enumeration after a reset) are events on the same clock. Host CPU time is never part of it.
"""
from __future__ import annotations

from collections import Counter

# DS8626 table "Flash memory programming" (typ): word/half-word/byte program 16 us at any parallelism;
# sector erase and mass erase by PSIZE (x8 byte, x16 half-word, x32 word, x64 needs VPP and is not used).
WORD_PROGRAM_S = 16e-6
SECTOR_ERASE_S = {  # sector size -> {parallelism bytes: seconds}
    16 * 1024: {1: 0.400, 2: 0.300, 4: 0.250, 8: 0.250},
    64 * 1024: {1: 1.200, 2: 0.700, 4: 0.550, 8: 0.550},
    128 * 1024: {1: 2.000, 2: 1.300, 4: 1.000, 8: 1.000},
}
MASS_ERASE_S = {1: 16.0, 2: 11.0, 4: 8.0, 8: 8.0}
OPTION_BYTES_S = 0.02


class Timeline:
    """One modelled clock for a bench run: link transfers advance it; chip operations keep the chip busy until a
    point on it; the host waits for the chip only at a sync (the debugger sees the chip's work done)."""

    def __init__(self):
        self.now = 0.0
        self.chip_busy_until = 0.0
        self.waits: Counter[str] = Counter()

    def link(self, seconds: float) -> None:
        self.now += seconds

    def chip(self, seconds: float) -> None:
        self.chip_busy_until = max(self.chip_busy_until, self.now) + seconds

    def sync(self) -> None:
        self.now = max(self.now, self.chip_busy_until)

    def wait_until(self, kind: str, at: float) -> None:
        """A modelled wait (e.g. USB enumeration finishing at `at`): the host cannot go on before it."""
        if at > self.now:
            self.waits[kind] += at - self.now
            self.now = at

    @property
    def total(self) -> float:
        return max(self.now, self.chip_busy_until)


class SimClock:
    def __init__(self, config, timeline: Timeline | None = None):
        self._config = config  # a BoardConfig: chip_seconds lives there
        self.timeline = timeline or Timeline()
        self.by_kind: Counter[str] = Counter()  # seconds this process, per operation kind
        self.now = 0.0  # seconds of simulated chip time this process

    def charge(self, kind: str, seconds: float) -> None:
        self.by_kind[kind] += seconds
        self.now += seconds
        self._config.chip_seconds += seconds
        self.timeline.chip(seconds)

    def program(self, operations: int = 1) -> None:
        self.charge("program", operations * WORD_PROGRAM_S)

    def sector_erase(self, size: int, parallelism: int = 4) -> None:
        self.charge("sector_erase", SECTOR_ERASE_S[size][parallelism])

    def mass_erase(self, parallelism: int = 4) -> None:
        self.charge("mass_erase", MASS_ERASE_S[parallelism])
