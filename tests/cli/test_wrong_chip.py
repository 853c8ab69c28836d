"""Issue 15: the chip identity gate. A chip whose DBGMCU DEV_ID is not 0x413 or whose flash size register does not
read 1024 KiB ends `wrong-chip`, and no command writes to it: diagnose, fix, restore, and the write layer itself
(flash programming, mass erase, option bytes) refuse, whatever a plan says."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vescdoctor.cli import main
from vescdoctor.errors import WrongChip
from vescdoctor.sim import imagegen
from vescdoctor.sim.board import Board, BoardConfig, ChipIdentity
from vescdoctor.target.chip_id import REV_IDS_413, chip_problem, read_chip_identity
from vescdoctor.target.session import open_session

from board_support import fix, flash, make

pytestmark = pytest.mark.slow


def set_chip(board: Path, **chip) -> None:
    doc = yaml.safe_load((board / "board.yaml").read_text())
    doc["chip"] = chip
    (board / "board.yaml").write_text(yaml.safe_dump(doc))


def test_rev_id_names_are_the_f405_ones_of_rm0090():
    assert REV_IDS_413 == {0x1000: "A", 0x1001: "Z", 0x1003: "1", 0x1007: "2", 0x100F: "Y"}
    assert chip_problem(0x10076413, 1024) is None
    assert "DEV_ID 0x419" in chip_problem(0x10076419, 1024)
    assert "512 KiB" in chip_problem(0x10076413, 512)


@pytest.mark.parametrize("chip", [{"dev_id": 0x431, "rev_id": 0x1000, "flash_kib": 512},
                                  {"dev_id": 0x413, "rev_id": 0x1007, "flash_kib": 512},
                                  {"dev_id": 0x419, "rev_id": 0x1007, "flash_kib": 1024}])
def test_diagnose_ends_wrong_chip_and_reads_no_flash(tmp_path, capsys, chip):
    board = make(tmp_path, "healthy")
    set_chip(board, **chip)
    before = flash(board)
    assert main(["diagnose", "--sim", str(board), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"]["code"] == "wrong-chip" and report["facts"]["swd.chip_ok"] is False
    assert "flash.readable" not in report["facts"]  # the gate comes before anything reads the flash
    assert flash(board) == before


def test_builtin_scenario_and_fix_writes_nothing(tmp_path, capsys):
    board = make(tmp_path, "wrong-chip")
    before = flash(board)
    bl, fw = tmp_path / "bl.bin", tmp_path / "fw.bin"
    bl.write_bytes(imagegen.bootloader())
    fw.write_bytes(imagegen.firmware("410", "5.03", "small"))
    code = fix(board, tmp_path, "--bootloader", str(bl), "--firmware", str(fw), "--yes", "--answer", "hw=410")
    err = capsys.readouterr().err
    assert code == 1 and "nothing to write to the chip" in err
    assert flash(board) == before and not list((tmp_path / "backups").glob("*.bin"))


def test_restore_onto_a_wrong_chip_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    board = make(tmp_path, "healthy")
    saved = tmp_path / "saved.bin"
    assert main(["backup", "--sim", str(board), str(saved)]) == 0
    (board / "flash.bin").write_bytes(b"\xff" * len(flash(board)))
    set_chip(board, dev_id=0x413, rev_id=0x1007, flash_kib=512)
    assert main(["restore", "--sim", str(board), str(saved), "--yes"]) != 0
    assert flash(board) == b"\xff" * len(flash(board))
    assert "not a VESC's STM32F405/407" in capsys.readouterr().err


def test_the_write_layer_refuses_a_wrong_chip(tmp_path):
    from vescdoctor.fixes.flashops import write_segments
    from vescdoctor.target.option_bytes import write_option_bytes

    board = tmp_path / "board"
    Board.create(board, BoardConfig(chip=ChipIdentity(0x431, 0x1000, 512)), b"\xff" * 0x100000)
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        ident = read_chip_identity(target)
        assert (ident.dev_id, ident.flash_kib, ident.is_vesc_chip) == (0x431, 512, False)
        with pytest.raises(WrongChip):
            write_segments(target, [(0x08000000, b"\x00" * 16)], on_erase=lambda f: None, on_program=lambda f: None)
        with pytest.raises(WrongChip):
            write_option_bytes(target, wrp_sectors=[])
        with pytest.raises(WrongChip):
            target.mass_erase()
    assert (board / "flash.bin").read_bytes() == b"\xff" * 0x100000
