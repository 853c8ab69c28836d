"""What a user walking the CLI tripped over: --sim and --probe before the command mean the same as after it (where
they can't apply: exit 2, never a silent fall-back to real hardware); --debug shows the logs; no "None" in output."""
from __future__ import annotations

import json

import pytest

from vescdoctor.cli import main

from board_support import make


def test_sim_before_the_command_diagnoses_that_board(tmp_path, capsys):
    board = make(tmp_path, "bricked-update")
    assert main(["--sim", str(board), "diagnose", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"]["code"] == "app-missing"  # the simulated board, not "no-probe" on this machine


def test_sim_before_and_after_with_the_same_board_is_fine(tmp_path, capsys):
    board = make(tmp_path, "healthy")
    assert main(["--sim", str(board), "diagnose", "--sim", str(board), "--json"]) == 0


@pytest.mark.parametrize("argv, says", [
    (["--sim", "A", "diagnose", "--sim", "B"], "--sim given twice with different values (A and B)"),
    (["--sim", "A", "inspect", "x.bin"], "--sim goes with the TUI, diagnose, fix, backup, restore or serve, not "
                                          "with `inspect`"),
    (["--probe", "stlink:1", "rules", "check"], "--probe goes with the TUI"),
    (["--sim", "A", "demo"], "does not go with `demo`: the demo makes its own simulated board"),
])
def test_a_board_option_that_cannot_apply_is_refused(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err


def test_sim_before_the_command_naming_no_board_is_refused(tmp_path, capsys):
    assert main(["--sim", str(tmp_path / "nothing"), "backup", str(tmp_path / "out.bin")]) == 2
    assert "not a board directory" in capsys.readouterr().err
    assert not (tmp_path / "out.bin").exists()


def test_debug_shows_pyocd_and_vescdoctor_logs_on_stderr(tmp_path):
    """--debug is what a helper asks for: pyOCD's log and vescdoctor's own on stderr (in a child process: logging
    set-up is process-wide)."""
    import subprocess
    import sys

    board = make(tmp_path, "bricked-update")
    quiet = subprocess.run([sys.executable, "-m", "vescdoctor", "diagnose", "--sim", str(board)],
                           capture_output=True, text=True, timeout=120, check=False)
    loud = subprocess.run([sys.executable, "-m", "vescdoctor", "diagnose", "--sim", str(board), "--debug"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert quiet.returncode == loud.returncode == 1
    assert "pyocd." not in quiet.stderr
    assert "INFO    pyocd.board.board: Target type is stm32f405rg" in loud.stderr
    assert loud.stdout == quiet.stdout  # the log never goes to stdout


def test_the_flash_map_names_a_bootloader_without_a_date_without_none(tmp_path, capsys):
    board = make(tmp_path, "healthy")
    main(["diagnose", "--sim", str(board)])
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "sector 11" in x)
    assert "bootloader" in line and "None" not in line, line


def test_fix_says_its_result_on_stdout_so_a_log_file_keeps_it(tmp_path, capsys):
    from vescdoctor.sim import imagegen

    board = make(tmp_path, "bricked-update")
    (tmp_path / "bl.bin").write_bytes(imagegen.bootloader())
    (tmp_path / "fw.bin").write_bytes(imagegen.firmware("410", "5.03", "release5"))
    assert main(["fix", "--sim", str(board), "--bootloader", str(tmp_path / "bl.bin"), "--firmware",
                 str(tmp_path / "fw.bin"), "--backup-dir", str(tmp_path / "backups"), "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Fix done: the board is healthy; backup: "), out
