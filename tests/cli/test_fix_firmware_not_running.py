"""Issue 17: `fix` for firmware-not-running: the config sectors erased after a backup (config cause), the firmware
written again when one is given (code cause)."""
from __future__ import annotations

import copy

import pytest

from vescdoctor.sim import imagegen
from vescdoctor.sim.scenario import build_board, find_scenario

from board_support import backups, fix, flash

CONFIG = slice(0x4000, 0xC000)


def crashing_board(tmp_path, cause: str):
    scenario = copy.deepcopy(find_scenario("config-crash"))
    scenario.config.run_cause = cause
    board = tmp_path / "board"
    build_board(scenario, board)
    return board


def test_config_cause_erases_the_config_sectors_after_a_backup_and_the_board_runs(tmp_path, capsys):
    board = crashing_board(tmp_path, "config")
    before = flash(board)
    assert before[CONFIG] != b"\xff" * 0x8000
    assert fix(board, tmp_path, "--yes") == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "erase-config: sectors 1, 2 erased" in out and "verdict healthy" in out
    assert flash(board)[CONFIG] == b"\xff" * 0x8000
    assert flash(board)[:0x4000] == before[:0x4000]  # the firmware itself untouched
    [saved] = backups(tmp_path)
    assert saved.read_bytes()[CONFIG] == before[CONFIG]  # the configuration is in the backup, restorable


def test_code_cause_points_at_the_image_and_a_fix_without_firmware_writes_nothing(tmp_path, capsys):
    """The fault registers (INVSTATE at start) say the build cannot run here: erasing the configuration would only
    lose it, so the plan writes the firmware and, without one, refuses before touching the chip."""
    board = crashing_board(tmp_path, "code")
    before = flash(board)
    assert fix(board, tmp_path, "--yes", "--offline") == 2
    captured = capsys.readouterr()
    assert "Core: fault status: HFSR FORCED" in captured.err and "CFSR INVSTATE" in captured.err
    assert "needs a firmware image" in captured.err
    assert flash(board) == before and not backups(tmp_path)


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_code_cause_with_a_firmware_given_writes_it_again_and_the_board_runs(tmp_path, capsys):
    board = crashing_board(tmp_path, "code")
    image = tmp_path / "fw.bin"
    image.write_bytes(imagegen.firmware("410", "5.02", "release5", seed=3))
    assert fix(board, tmp_path, "--yes", "--firmware", str(image)) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "write-firmware" in out and "verdict healthy" in out
    assert len(backups(tmp_path)) == 1


SCRIPT = slice(0xC0000, 0xE0000)  # sector 10: LispBM code on 6.00+ (bldc release_6_00 flash_helper.c:46)


def lisp_board(tmp_path, cause: str = "lisp"):
    scenario = copy.deepcopy(find_scenario("lisp-crash"))
    scenario.config.run_cause = cause
    board = tmp_path / "board"
    build_board(scenario, board)
    return board


def test_lisp_cause_erases_the_script_sectors_after_a_backup_keeps_the_config_and_the_board_runs(tmp_path, capsys):
    board = lisp_board(tmp_path)
    before = flash(board)
    assert before[SCRIPT] != b"\xff" * 0x20000
    assert fix(board, tmp_path, "--yes", "--answer", "symptom=no-usb", "--answer", "led=blue-only") == 0, \
        capsys.readouterr().err
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "erase-lisp: sector 10 erased" in out and "verdict healthy" in out
    assert "erase-config" not in out
    after = flash(board)
    assert after[SCRIPT] == b"\xff" * 0x20000
    assert after[:0xC0000] == before[:0xC0000]  # firmware and configuration untouched
    [saved] = backups(tmp_path)
    assert saved.read_bytes()[SCRIPT] == before[SCRIPT]  # the script is in the backup


def test_the_lisp_plan_says_what_is_lost_and_how_to_get_it_back(tmp_path, capsys):
    board = lisp_board(tmp_path)
    assert fix(board, tmp_path, "--dry-run", "--answer", "symptom=no-usb", "--answer", "led=blue-only") == 0
    out = capsys.readouterr().out
    assert "Erase the LispBM/QML sectors" in out
    assert "Scripts and data erased (the backup keeps them): sector 10 (LispBM scripts)" in out
    assert "Sectors to erase: 10 (0x080C0000, 128K LispBM scripts)" in out
    assert "VESC Tool's LispBM" in out and "Erase the configuration sectors" not in out


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_a_crash_that_is_not_the_script_takes_the_config_at_the_next_fix(tmp_path, capsys):
    """One cause per fix, the least loss first: the script, then (the script sectors now blank) the config."""
    board = lisp_board(tmp_path, "config")
    answers = ("--answer", "symptom=no-usb", "--answer", "led=blue-only")
    assert fix(board, tmp_path, "--yes", *answers) == 1
    assert "erase-lisp" in capsys.readouterr().err + ""
    assert fix(board, tmp_path, "--yes", *answers) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert "erase-config: sectors 1, 2 erased" in captured.out + captured.err
    assert "verdict healthy" in captured.out + captured.err
    assert len(backups(tmp_path)) == 2


def test_the_fault_registers_are_evidence_in_words_and_the_verdict_says_what_they_mean(tmp_path, capsys):
    import json

    from vescdoctor.cli import main

    for cause, node, bits, words in (("code", "v-firmware-not-running-build", ["FORCED", "INVSTATE"],
                                      "cannot run on this chip"),
                                     ("config", "v-firmware-not-running", ["FORCED", "PRECISERR", "BFARVALID"],
                                      "read or wrote memory or a peripheral that is not there")):
        board = crashing_board(tmp_path / cause, cause)
        assert main(["diagnose", "--sim", str(board), "--json"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert report["path"][-1]["node"] == node
        assert report["facts"]["core.fault_bits"] == bits
        assert words in report["facts"]["core.fault_meaning"] and words in report["verdict"]["explanation"]


def test_a_watchdog_loop_is_never_blamed_on_the_script(tmp_path, capsys):
    """bldc starts no stored script after a watchdog reset (lispif_init): a watchdog loop is not the script's."""
    import json

    from vescdoctor.cli import main

    scenario = copy.deepcopy(find_scenario("lisp-crash"))
    scenario.config.firmware_run, scenario.config.run_cause = "watchdog-loop", "code"
    board = tmp_path / "board"
    build_board(scenario, board)
    assert main(["diagnose", "--sim", str(board), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["facts"]["core.run_state"] == "watchdog-loop" and report["facts"]["core.script_sectors"] == [10]
    assert report["path"][-1]["node"] == "v-firmware-not-running"
