"""Issue 17: valid firmware that does not run ends `firmware-not-running` (never `usb-cable`), seen by the core.state
probe over SWD; a diagnosis that halted a running core leaves it running."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pyocd.core.target import Target

from vescdoctor.cli import main
from vescdoctor.sim.scenario import build_board, find_scenario
from vescdoctor.target.session import open_session


def board_with(tmp_path: Path, scenario: str = "charge-only-cable", **fields) -> Path:
    base = find_scenario(scenario)
    scenario_copy = copy.deepcopy(base)
    for key, value in fields.items():
        setattr(scenario_copy.config, key, value)
    board = tmp_path / "board"
    build_board(scenario_copy, board)
    return board


def diagnose(board: Path, capsys, *answers: str) -> dict:
    args = ["diagnose", "--sim", str(board), "--json"]
    for answer in answers:
        args += ["--answer", answer]
    main(args)
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("run", ["hardfault", "lockup", "watchdog-loop", "hang"])
def test_valid_firmware_that_does_not_run_is_firmware_not_running_never_usb_cable(run, tmp_path, capsys):
    board = board_with(tmp_path, firmware_run=run)
    report = diagnose(board, capsys, "led=blue-only", "hw=410")
    assert report["verdict"]["code"] == "firmware-not-running", (report["findings"], report["path"])
    assert "usb-cable" not in report["findings"]
    assert report["facts"]["core.run_state"] == run
    core = [p for p in report["probes"] if p["name"] == "core.state"][0]
    assert core["transcript"][0].startswith("Core: ") and "PC 0x" in core["transcript"][0]


def test_a_green_answer_does_not_hide_a_crashed_core(tmp_path, capsys):
    board = board_with(tmp_path, firmware_run="hardfault")
    for _ in range(2):  # the probe resumed the core where it spins: a second look sees the same
        report = diagnose(board, capsys, "led=green")
        assert report["verdict"]["code"] == "firmware-not-running"
        assert report["facts"]["core.run_state"] == "hardfault"


def test_a_running_firmware_without_usb_is_still_the_cable_and_is_left_running(tmp_path, capsys):
    board = board_with(tmp_path)
    report = diagnose(board, capsys, "led=blue-only", "hw=410")
    assert report["verdict"]["code"] == "usb-cable", (report["findings"], report["path"])
    facts = report["facts"]
    assert facts["core.run_state"] == "runs" and facts["core.was_running"] and facts["core.resumed"]
    with open_session(f"vescsim:{board}", connect_mode="attach") as session:
        assert session.target.get_state() in (Target.State.RUNNING, Target.State.SLEEPING)


def test_a_boot_loop_symptom_looks_at_the_core_even_when_the_vesc_answers(tmp_path, capsys):
    board = board_with(tmp_path, scenario="healthy")
    report = diagnose(board, capsys, "symptom=boot-loop", "led=green")
    assert "core-state" in [step["node"] for step in report["path"]]
    assert report["facts"]["core.run_state"] == "runs" and report["facts"]["core.resumed"]
    assert report["verdict"]["code"] == "healthy"
