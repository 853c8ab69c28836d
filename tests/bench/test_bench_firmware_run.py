"""Board fields of board.md "More board fields": firmware_run / run_cause, probe_firmware, chip; a running VESC
firmware seen over SWD where its state puts it."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest
import usb.core
from pyocd.core.exceptions import ProbeError
from pyocd.core.target import Target

from vescdoctor.errors import InputError
from vescdoctor.knowledge.flash import FLASH_SIZE
from vescdoctor.sim import boot, imagegen
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig, ChipIdentity, parse_config
from vescdoctor.target.chip_id import read_chip_identity
from vescdoctor.target.session import open_session

FW = imagegen.firmware("410", "5.03", "release5")


def vesc_board(path: Path, **fields) -> Path:
    flash = bytearray(b"\xff" * FLASH_SIZE)
    flash[:len(FW)] = FW
    Board.create(path, BoardConfig(**fields), flash)
    return path


def halted(board: Path):
    session = open_session(f"vescsim:{board}", connect_mode="attach")
    session.target.halt()
    return session


def code_range() -> tuple[int, int]:
    return 0x08000000, 0x08000000 + len(FW)


def test_a_running_firmware_halts_in_its_own_code_in_thread_mode(tmp_path):
    board = vesc_board(tmp_path / "b")
    reset = struct.unpack_from("<I", FW, 4)[0] & ~1
    with halted(board) as session:
        target = session.target
        pc = target.read_core_register("pc")
        lo, hi = code_range()
        assert lo <= pc < hi and pc != reset
        assert target.read_core_register("xpsr") & 0x1FF == 0  # thread mode


def test_hardfault_firmware_halts_in_its_hardfault_handler_and_shows_no_usb(tmp_path):
    board = vesc_board(tmp_path / "b", firmware_run="hardfault")
    assert boot.evaluate(Board.load(board)).running == "firmware-crash"
    bench = Bench.acquire(board)
    try:
        assert not [d for d in usb.core.find(find_all=True, backend=bench.usb_backend) if d.idProduct == 0x5740]
    finally:
        bench.release()
    with halted(board) as session:
        target = session.target
        assert target.read_core_register("xpsr") & 0x1FF == 3
        assert target.read_core_register("pc") == struct.unpack_from("<I", FW, 12)[0] & ~1
        assert target.read32(0xE000ED2C) & (1 << 30)


def test_lockup_firmware_is_locked_up(tmp_path):
    board = vesc_board(tmp_path / "b", firmware_run="lockup")
    with open_session(f"vescsim:{board}", connect_mode="attach") as session:
        assert session.target.get_state() == Target.State.LOCKUP


def test_watchdog_loop_sets_iwdgrstf_and_halts_in_the_reset_path(tmp_path):
    board = vesc_board(tmp_path / "b", firmware_run="watchdog-loop")
    with halted(board) as session:
        target = session.target
        assert target.read32(0x40023874) & (1 << 29)  # RCC_CSR.IWDGRSTF
        assert target.read_core_register("pc") == struct.unpack_from("<I", FW, 4)[0] & ~1


def test_hang_firmware_loops_with_interrupts_off(tmp_path):
    board = vesc_board(tmp_path / "b", firmware_run="hang")
    with halted(board) as session:
        target = session.target
        assert target.read_core_register("primask") == 1
        lo, hi = code_range()
        assert lo <= target.read_core_register("pc") < hi


def test_config_cause_is_cured_by_erasing_the_config_sectors_and_code_cause_by_other_firmware(tmp_path):
    board = vesc_board(tmp_path / "c", firmware_run="hardfault", run_cause="config")
    Bench.acquire(board).release()  # the bench records the crashing image
    loaded = Board.load(board)
    loaded.flash[0x4000:0xC000] = b"\xff" * 0x8000
    assert boot.evaluate(loaded).running == "vesc"
    board = vesc_board(tmp_path / "k", firmware_run="hardfault", run_cause="code")
    Bench.acquire(board).release()
    loaded = Board.load(board)
    loaded.flash[0x4000:0xC000] = b"\xff" * 0x8000
    assert boot.evaluate(loaded).running == "firmware-crash"
    other = imagegen.firmware("410", "5.02", "release5")
    loaded.flash[:len(other)] = other
    assert boot.evaluate(loaded).running == "vesc"


@pytest.mark.parametrize("version, sectors", [("6.05", (9, 10)), ("6.06", (8, 9, 10))])
def test_lisp_cause_is_cured_by_erasing_the_generations_lispbm_and_qml_sectors_only(tmp_path, version, sectors):
    """run_cause lisp: the firmware crashes while its generation's LispBM/QML sectors hold data (6.00-6.05: QML 9,
    code 10; 6.06+: the LispBM image in 8 too; bldc flash_helper.c QMLUI_BASE, LISP_BASE, LISP_CONST_BASE)."""
    image = imagegen.firmware("60", version, "release6")
    flash = bytearray(b"\xff" * FLASH_SIZE)
    flash[:len(image)] = image
    script = imagegen.lispbm_code()
    flash[0x0C0000:0x0C0000 + len(script)] = script
    flash[0x0A0000:0x0A0010] = b"QML" * 5 + b"\x00"
    board = tmp_path / version
    Board.create(board, BoardConfig(hw="60", firmware_run="hardfault", run_cause="lisp"), flash)
    Bench.acquire(board).release()
    loaded = Board.load(board)
    loaded.flash[0x4000:0xC000] = b"\xff" * 0x8000  # the configuration is not the cause
    assert boot.evaluate(loaded).running == "firmware-crash"
    loaded.flash[0x0C0000:0x0E0000] = b"\xff" * 0x20000  # the script alone: the QML data still loads
    assert boot.evaluate(loaded).running == "firmware-crash"
    for number in sectors:
        start = {8: 0x080000, 9: 0x0A0000, 10: 0x0C0000}[number]
        loaded.flash[start:start + 0x20000] = b"\xff" * 0x20000
    assert boot.evaluate(loaded).running == "vesc"


def test_chip_fields_are_what_the_debugger_reads(tmp_path):
    board = vesc_board(tmp_path / "b", chip=ChipIdentity(dev_id=0x419, rev_id=0x1003, flash_kib=2048))
    with halted(board) as session:
        ident = read_chip_identity(session.target)
        assert ident.idcode == 0x10036419
        assert session.target.read16(0x1FFF7A22) == 2048


def test_probe_firmware_is_what_the_stlink_reports_and_pyocd_refuses_an_old_one(tmp_path):
    board = vesc_board(tmp_path / "b", probe_firmware="V2J37S7")
    with halted(board) as session:
        assert session.probe._link.version_str.startswith("V2J37")
    old = vesc_board(tmp_path / "old", probe_firmware="V2J21S4")
    with pytest.raises(ProbeError, match="older firmware"):
        open_session(f"vescsim:{old}")


@pytest.mark.parametrize(("key", "value"), [("firmware_run", "crash"), ("fault_code", 34), ("probe_firmware", "2.45"),
                                            ("chip", {"dev_id": 0x413, "flash": 1})])
def test_bad_board_fields_are_named(key, value):
    with pytest.raises(InputError, match=key):
        parse_config({key: value}, "board.yaml")
