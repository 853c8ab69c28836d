"""Issue 17: `fix --erase-all` on the forum case: backup, mass erase, bootloader, firmware, configuration restored
from the backup (unless --no-keep-config), healthy; the plan says what a full erase costs and why it is not needed."""
from __future__ import annotations

from pathlib import Path

import pytest

from vescdoctor.sim import imagegen

from board_support import backups, fix, flash, make

CONFIG = slice(0x4000, 0xC000)
PAGE = bytes.fromhex("00000000 34120100 78560200")  # a valid EEPROM-emulation page: the rider's configuration
HW410 = ("--answer", "hw=410")


@pytest.fixture
def forum_board(tmp_path: Path) -> Path:
    board = make(tmp_path, "bricked-update")
    data = bytearray(flash(board))
    data[0x4000:0x4000 + len(PAGE)] = PAGE
    (board / "flash.bin").write_bytes(bytes(data))
    return board


@pytest.fixture
def images(tmp_path: Path) -> tuple[str, str]:
    bl, fw = tmp_path / "bl.bin", tmp_path / "fw.bin"
    bl.write_bytes(imagegen.bootloader())
    fw.write_bytes(imagegen.firmware("410", "5.03", "release5"))
    return "--bootloader", str(bl), "--firmware", str(fw)


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_erase_all_on_the_forum_case_ends_healthy_with_the_config_restored(forum_board, images, tmp_path, capsys):
    before = flash(forum_board)
    assert fix(forum_board, tmp_path, *images, "--erase-all", "--yes", *HW410) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    out = captured.out + captured.err
    for step in ("backup", "mass-erase: all 12 sectors erased", "write-bootloader", "write-firmware",
                 "restore-config", "verdict healthy"):
        assert step in out, step
    assert out.index("mass-erase:") < out.index("write-bootloader:") < out.index("write-firmware:") \
        < out.index("restore-config:")
    after = flash(forum_board)
    assert after[CONFIG] == before[CONFIG]
    assert after[0x080E0000 - 0x08000000:][:len(imagegen.bootloader())] == imagegen.bootloader()
    assert after[0x80000:0xE0000] == b"\xff" * 0x60000  # the update buffer went with the full erase
    [saved] = backups(tmp_path)
    assert saved.read_bytes() == before


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_erase_all_with_no_keep_config_leaves_the_config_erased(forum_board, images, tmp_path, capsys):
    assert fix(forum_board, tmp_path, *images, "--erase-all", "--no-keep-config", "--yes", *HW410) == 0
    assert "restore-config" not in capsys.readouterr().out
    assert flash(forum_board)[CONFIG] == b"\xff" * 0x8000


def test_the_plan_says_what_a_full_erase_costs_and_why_the_order(forum_board, images, tmp_path, capsys):
    assert fix(forum_board, tmp_path, *images, "--dry-run", *HW410) == 0
    plain = capsys.readouterr().out
    assert "a full chip erase is not needed" in plain and "--erase-all" in plain
    assert "bootloader, then firmware" in plain and "does not matter for correctness" in plain
    assert fix(forum_board, tmp_path, *images, "--erase-all", "--dry-run", *HW410) == 0
    full = capsys.readouterr().out
    assert "Erase the whole chip" in full and "costs" in full and "does not need it" in full
    assert "about 8 s" in full and "written back from the backup" in full  # the time, the configuration kept
    assert fix(forum_board, tmp_path, *images, "--erase-all", "--no-keep-config", "--dry-run", *HW410) == 0
    assert "is NOT written back" in capsys.readouterr().out
