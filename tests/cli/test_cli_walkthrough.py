"""What a user walking the CLI tripped over: --sim and --probe before the command mean the same as after it (where
they can't apply: exit 2, never a silent fall-back to real hardware); --debug shows the logs; no "None" in output."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import types
from pathlib import Path

import pytest

from vescdoctor.cli import build_parser, main
from vescdoctor.sim import imagegen

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
    (["--sim", "A", "inspect", "x.bin"],
     "--sim goes with the TUI, diagnose, fix, backup, restore or serve, not with `inspect`"),
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_fix_says_its_result_on_stdout_so_a_log_file_keeps_it(tmp_path, capsys):

    board = make(tmp_path, "bricked-update")
    (tmp_path / "bl.bin").write_bytes(imagegen.bootloader())
    (tmp_path / "fw.bin").write_bytes(imagegen.firmware("410", "5.03", "release5"))
    assert main(["fix", "--sim", str(board), "--bootloader", str(tmp_path / "bl.bin"), "--firmware",
                 str(tmp_path / "fw.bin"), "--backup-dir", str(tmp_path / "backups"), "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Fix done: the board is healthy; backup: "), out


# -- --debug after the subcommand; pyOCD's log lines quiet in diagnose too --------------------------------------------

@pytest.mark.parametrize("argv", [["diagnose", "--debug"], ["--debug", "diagnose"], ["fix", "--yes", "--debug"],
                                  ["rules", "check", "--debug"], ["sim", "list", "--debug"]])
def test_debug_is_accepted_before_and_after_the_subcommand(argv):
    assert build_parser().parse_args(argv).debug is True


@pytest.mark.parametrize("argv", [["diagnose"], ["rules", "check"], []])
def test_debug_defaults_to_off(argv):
    assert build_parser().parse_args(argv).debug is False


def _diagnose_stderr(board: Path, *extra: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "vescdoctor", "diagnose", "--sim", str(board), *extra],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stderr


@pytest.mark.slow
def test_diagnose_keeps_pyocd_log_lines_out_unless_debug(tmp_path):
    board = make(tmp_path, "swd-needs-reset")
    own = ("SWD", "USB", "VESC", "Flash", "Q ", "Looking", "Asking", "Connecting", "Reading")
    quiet = [line for line in _diagnose_stderr(board).splitlines() if line and not line.startswith(own)]
    assert quiet == []
    loud = _diagnose_stderr(board, "--debug")  # after the subcommand: pyOCD's log is kept
    assert "Error during board uninit" in loud or "Get IDCODE error" in loud


def test_quiet_pyocd_is_one_helper_for_every_board_command():
    import vescdoctor.commands.backup as backup
    import vescdoctor.commands.diagnose as diagnose
    import vescdoctor.commands.fix as fix
    import vescdoctor.commands.restore as restore

    for module in (fix, backup, restore, diagnose):
        assert "quiet_pyocd(args)" in Path(module.__file__).read_text()
    assert not hasattr(fix, "quiet_pyocd") or fix.quiet_pyocd is diagnose.quiet_pyocd
    logger = logging.getLogger("pyocd")
    level = logger.level
    try:
        diagnose.quiet_pyocd(types.SimpleNamespace(debug=False))
        assert logger.level == logging.CRITICAL
    finally:
        logger.setLevel(level)
