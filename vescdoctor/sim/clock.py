"""Simulated time: how long the real chip would have taken, per the datasheet (vesc-stm32.md, typical values at
x32 parallelism). Nothing sleeps: the bench runs at full speed and only adds up the seconds, per operation kind and
into board.config.chip_seconds (which the board keeps across commands).
"""
from __future__ import annotations

from collections import Counter

WORD_PROGRAM_S = 16e-6
SECTOR_ERASE_S = {16 * 1024: 0.25, 64 * 1024: 0.55, 128 * 1024: 1.0}
MASS_ERASE_S = 8.0


class SimClock:
    def __init__(self, config):
        self._config = config  # a BoardConfig: chip_seconds lives there
        self.by_kind: Counter[str] = Counter()  # seconds this process, per operation kind
        self.now = 0.0  # seconds of simulated chip time this process

    def charge(self, kind: str, seconds: float) -> None:
        self.by_kind[kind] += seconds
        self.now += seconds
        self._config.chip_seconds += seconds

    def program(self, operations: int = 1) -> None:
        self.charge("program", operations * WORD_PROGRAM_S)

    def sector_erase(self, size: int) -> None:
        self.charge("sector_erase", SECTOR_ERASE_S[size])

    def mass_erase(self) -> None:
        self.charge("mass_erase", MASS_ERASE_S)
