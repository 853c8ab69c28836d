"""The bench's time model (docs/bench.md, "Time"): erase time by PSIZE (STM32F405 datasheet DS8626, "Flash memory
programming"), transfer time per probe type from USB framing and the SWD clock pyOCD asks for, and the `bench`
block every JSON report of a simulated run carries (shared/spec/board.md, "What the bench measures").

No wall-clock asserts: every figure here is modelled time, computed the same on any machine.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.knowledge.flash import FLASH_SIZE
from vescdoctor.report.schema import validate
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig
from vescdoctor.sim.clock import SimClock
from vescdoctor.target import flash_regs as F
from vescdoctor.target.session import open_session

from board_support import make

MIB = 1 << 20
pytestmark = pytest.mark.slow  # each test reads 1 MiB through pyOCD


def read_rate(tmp_path: Path, probe: str, **options) -> tuple[float, dict]:
    """Read 1 MiB of flash through pyOCD on `probe`: (modelled bytes per second, the bench block after)."""
    board = tmp_path / probe
    Board.create(board, BoardConfig(probe=probe), b"\xff" * FLASH_SIZE)
    bench = Bench.acquire(board)
    try:
        with open_session(f"vescsim:{board}", **options) as session:
            before = bench.measurement()["link_seconds"]
            data = session.target.read_memory_block8(0x08000000, MIB)
            after = bench.measurement()
    finally:
        bench.release()
    assert bytes(data) == b"\xff" * MIB
    return MIB / (after["link_seconds"] - before), after


def test_stlink_v2_at_pyocds_default_clock_reads_at_the_published_rate(tmp_path):
    # pyOCD asks 1 MHz (its `frequency` option); an ST-Link/V2 runs 950 kHz (the first step of its table not
    # above). Published: 50-80 KB/s for an ST-Link/V2 at 1-2 MHz (docs/bench.md). The old bench: 5.4 MB/s.
    rate, block = read_rate(tmp_path, "stlink-v2")
    assert block["swd_khz"] == 950 and block["probe"] == "stlink-v2"
    assert 50e3 <= rate <= 80e3
    assert block["bytes_read"] >= MIB and block["transfers"] >= MIB // 6144 * 3


def test_stlink_v2_near_its_top_clock_reads_about_300_kb_s(tmp_path):
    rate, block = read_rate(tmp_path, "stlink-v2", frequency=4_600_000)
    assert block["swd_khz"] == 4600
    assert 250e3 <= rate <= 350e3


def test_stlink_v2_maps_4_mhz_to_its_1_8_mhz_step(tmp_path):
    _, block = read_rate(tmp_path, "stlink-v2", frequency=4_000_000)
    assert block["swd_khz"] == 1800


def test_cmsis_dap_full_speed_reads_at_the_published_rate(tmp_path):
    rate, block = read_rate(tmp_path, "cmsis-dap", frequency=2_000_000)
    assert block["swd_khz"] == 2000 and 85e3 <= rate <= 130e3
    slow, _ = read_rate(tmp_path / "slow", "cmsis-dap")  # 1 MHz: the wire itself caps it below 87 KB/s
    assert slow < 87e3


def test_stlink_v3_high_speed_is_faster_at_the_same_clock_and_takes_24_mhz(tmp_path):
    v2, _ = read_rate(tmp_path / "v2", "stlink-v2", frequency=1_000_000)
    v3, block = read_rate(tmp_path / "v3", "stlink-v3", frequency=1_000_000)
    assert block["swd_khz"] == 1000 and v3 > v2
    fast, block = read_rate(tmp_path / "fast", "stlink-v3", frequency=24_000_000)
    assert block["swd_khz"] == 24000 and fast > 1e6


class _Config:
    chip_seconds = 0.0


@pytest.mark.parametrize(("size", "x8", "x32"), [(16 * 1024, 0.4, 0.25), (64 * 1024, 1.2, 0.55),
                                                 (128 * 1024, 2.0, 1.0)])
def test_sector_erase_time_depends_on_psize(size, x8, x32):
    # DS8626 "Flash memory programming": tERASE16KB 400/300/250 ms, tERASE64KB 1200/700/550 ms,
    # tERASE128KB 2/1.3/1 s for x8/x16/x32 (typ).
    clock = SimClock(_Config())
    clock.sector_erase(size, 1)
    assert clock.now == pytest.approx(x8)
    clock.sector_erase(size, 4)
    assert clock.now == pytest.approx(x8 + x32)


def _erase_sector_with_psize(board: Path, psize: int) -> float:
    bench = Bench.acquire(board)
    try:
        with open_session(f"vescsim:{board}") as session:
            target = session.target
            target.halt()
            before = bench.chip.clock.now
            target.write32(F.FLASH_R_BASE + 0x04, 0x45670123)
            target.write32(F.FLASH_R_BASE + 0x04, 0xCDEF89AB)
            target.write32(F.FLASH_R_BASE + 0x10, (psize << 8) | (5 << 3) | 0x2)  # SER, sector 5
            target.write32(F.FLASH_R_BASE + 0x10, (psize << 8) | (5 << 3) | 0x2 | (1 << 16))  # STRT
            assert target.read32(F.FLASH_R_BASE + 0x0C) & (1 << 16) == 0
            spent = bench.chip.clock.now - before
            # lock again: the chip keeps FLASH_CR unlocked across sessions, and a key written to an unlocked
            # FLASH_KEYR is a bus error that locks it until reset (RM0090 3.5.1)
            target.write32(F.FLASH_R_BASE + 0x10, 1 << 31)
            return spent
    finally:
        bench.release()


def test_x8_erase_through_the_flash_interface_is_twice_as_slow_as_x32(tmp_path):
    board = tmp_path / "b"
    Board.create(board, BoardConfig(), b"\xff" * FLASH_SIZE)
    assert _erase_sector_with_psize(board, 0) == pytest.approx(2.0)  # sector 5: 128 KiB, x8
    assert _erase_sector_with_psize(board, 2) == pytest.approx(1.0)  # x32


def test_chip_time_overlaps_link_time_while_the_host_waits(tmp_path):
    # An erase keeps the chip busy; the host's polls of FLASH_SR during it cost no extra time, and the modelled
    # total is at least the chip time (the host could not go on before the chip finished).
    board = tmp_path / "b"
    Board.create(board, BoardConfig(), b"\xff" * FLASH_SIZE)
    bench = Bench.acquire(board)
    try:
        _erase_sector_with_psize(board, 2)
        block = bench.measurement()
    finally:
        bench.release()
    assert block["chip_seconds"] == pytest.approx(1.0)
    assert block["modelled_seconds"] >= block["chip_seconds"] + 0.9 * block["link_seconds"] - 1.0
    assert block["modelled_seconds"] < block["chip_seconds"] + block["link_seconds"] + 1e-6


def test_diagnose_json_carries_the_bench_block(tmp_path, capsys):
    board = make(tmp_path, "bricked-update")
    capsys.readouterr()
    main(["diagnose", "--sim", str(board), "--json"])
    report = json.loads(capsys.readouterr().out)
    block = report["bench"]
    assert set(block) == {"chip_seconds", "link_seconds", "modelled_seconds", "bytes_read", "bytes_written",
                          "transfers", "swd_khz", "probe"}
    # vescdoctor asks the probe's fastest clock (target/swd_clock.py): 4.6 MHz on an ST-Link/V2, where pyOCD asked
    # directly (the tests above) runs its 1 MHz default, 950 kHz on this probe
    assert block["probe"] == "stlink-v2" and block["swd_khz"] == 4600
    assert report["facts"]["swd.clock_khz"] == 4600 and report["facts"]["swd.clock_steps"] == []
    assert block["bytes_read"] > 0 and block["transfers"] > 0 and block["link_seconds"] > 0
    assert block["modelled_seconds"] >= block["link_seconds"]
    validate(report)
