"""The simulated STM32F405 behaves as the real chip's reference manual (RM0090 rev 19) and the architecture manual
(ARMv7-M ARM, DDI 0403E) say, where vescdoctor depends on it: state kept while powered, architectural faults, boot
from system memory. Each test fails on a bench that is kinder than the chip."""
from __future__ import annotations

from pathlib import Path

import pytest
from pyocd.core.target import Target

from vescdoctor.errors import InputError
from vescdoctor.knowledge.flash import FLASH_SIZE
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig
from vescdoctor.target.session import open_session

ERASED = b"\xff" * FLASH_SIZE


def make_board(path: Path, flash: bytes | bytearray = ERASED, **fields) -> Path:
    Board.create(path, BoardConfig(**fields), flash)
    return path


def session_on(board: Path, **options):
    return open_session(f"vescsim:{board}", **options)


# -- state that lasts while the chip is powered -----------------------------------------------------------------------
def test_a_halted_core_stays_halted_for_the_next_session(tmp_path):
    # ARMv7-M ARM C1.4: the core stays in Debug state until the debugger restarts it or a reset; closing a debug
    # session without resuming (pyOCD's resume_on_disconnect off) leaves it there, and so does the next command.
    board = make_board(tmp_path / "b")
    with session_on(board, resume_on_disconnect=False) as session:
        session.target.halt()
        session.target.write_core_register("r5", 0x12345678)
    with session_on(board, connect_mode="attach") as session:
        assert session.target.get_state() == Target.State.HALTED
        assert session.target.read_core_register("r5") == 0x12345678


def test_sram_keeps_its_contents_across_sessions_and_resets_until_power_off(tmp_path):
    # RM0090 2.3.1: SRAM keeps its contents while powered (a system reset does not clear it).
    board = make_board(tmp_path / "b")
    with session_on(board) as session:
        session.target.write32(0x20001000, 0xCAFEF00D)
        session.target.write32(0x10000010, 0x0BADBEEF)  # CCM too
    with session_on(board) as session:
        assert session.target.read32(0x20001000) == 0xCAFEF00D
        assert session.target.read32(0x10000010) == 0x0BADBEEF
        session.target.reset()
        assert session.target.read32(0x20001000) == 0xCAFEF00D
    bench = Bench.acquire(board)
    try:
        bench.set_power(False)
        bench.set_power(True)
    finally:
        bench.release()
    with session_on(board) as session:
        assert session.target.read32(0x20001000) != 0xCAFEF00D


def test_a_reset_through_the_probe_ends_the_halt(tmp_path):
    board = make_board(tmp_path / "b")
    with session_on(board, resume_on_disconnect=False) as session:
        session.target.halt()
        session.target.reset()  # SYSRESETREQ without halt: the core leaves reset and runs
    with session_on(board, connect_mode="attach") as session:
        assert session.target.get_state() != Target.State.HALTED


def test_an_unpowered_board_keeps_no_chip_state(tmp_path):
    board = make_board(tmp_path / "b")
    with session_on(board, resume_on_disconnect=False) as session:
        session.target.halt()
    assert (board / "chip-state.bin").is_file()
    bench = Bench.acquire(board)
    try:
        bench.set_power(False)
    finally:
        bench.release()
    assert not (board / "chip-state.bin").exists()


def test_a_damaged_state_file_is_a_clear_error(tmp_path):
    board = make_board(tmp_path / "b")
    (board / "chip-state.bin").write_bytes(b"garbage")
    with pytest.raises(InputError, match="chip-state.bin"):
        Bench.acquire(board)
