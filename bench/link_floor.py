"""The probe link's share of the floor, measured on the bench: `python bench/link_floor.py PROBE WRITE_BYTES`.

Makes a blank board with probe model PROBE, opens a pyOCD session at the fastest SWD clock vescdoctor asks of that
probe (vescdoctor/target/swd_clock.py, the top of its ladder) and measures, in the bench's modelled link seconds:
reading the whole 1 MiB flash once with pyOCD's `read_memory_block8` (the backup no repair can skip), and writing
WRITE_BYTES into SRAM with `write_memory_block8` (the bytes the floor programs must cross the link once). Prints one
JSON line. A measuring tool only (docs/benchmarks.md, "The floor").
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

SRAM, SRAM_SIZE = 0x20000000, 0x20000


def main(probe: str, write_bytes: int) -> int:
    from vescdoctor.knowledge.flash import FLASH_BASE, FLASH_SIZE
    from vescdoctor.sim.bench import Bench
    from vescdoctor.sim.board import Board, BoardConfig
    from vescdoctor.sim.environment import BENCH_PYOCD_OPTIONS
    from vescdoctor.target.session import open_session
    from vescdoctor.target.swd_clock import LADDERS

    fastest = LADDERS["stlink-v2" if probe == "stlink-v2-1" else probe][0]
    with tempfile.TemporaryDirectory(prefix="vescdoctor-floor-") as tmp:
        board = Path(tmp) / probe
        Board.create(board, BoardConfig(probe=probe), b"\xff" * FLASH_SIZE)
        bench = Bench.acquire(board)
        try:
            with open_session(f"vescsim:{board}", frequency=fastest, **BENCH_PYOCD_OPTIONS) as session:
                target = session.target
                target.halt()
                t0 = bench.measurement()["link_seconds"]
                target.read_memory_block8(FLASH_BASE, FLASH_SIZE)
                t1 = bench.measurement()["link_seconds"]
                left = write_bytes
                while left > 0:  # SRAM holds 128 KiB: the bytes cross the link in pieces, as a flash loader's do
                    n = min(left, SRAM_SIZE // 2)
                    target.write_memory_block8(SRAM, [0] * n)
                    left -= n
                t2 = bench.measurement()["link_seconds"]
                swd_khz = bench.measurement()["swd_khz"]
        finally:
            bench.release()
    print(json.dumps({"probe": probe, "swd_khz": swd_khz, "read_1mib_s": t1 - t0, "write_s": t2 - t1,
                      "write_bytes": write_bytes}))
    return 0


if __name__ == "__main__":
    from vescdoctor.target.swd_clock import LADDERS

    probes = sorted({*LADDERS, "stlink-v2-1"})
    if len(sys.argv) != 3 or sys.argv[1] not in probes or not sys.argv[2].isdigit():
        sys.exit(f"usage: python bench/link_floor.py PROBE WRITE_BYTES  (PROBE: one of {', '.join(probes)}; "
                 "WRITE_BYTES: a whole number)")
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
