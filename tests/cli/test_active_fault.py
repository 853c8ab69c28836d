"""Issue 17: a running board that reports a fault code in COMM_GET_VALUES ends `active-fault` naming the fault and
what a rider does about it."""
from __future__ import annotations

import copy
import json

import pytest

from vescdoctor.cli import main
from vescdoctor.sim.scenario import build_board, find_scenario


def diagnose_with_fault(tmp_path, capsys, code: int, *extra: str) -> dict:
    scenario = copy.deepcopy(find_scenario("active-fault"))
    scenario.config.fault_code = code
    board = tmp_path / "board"
    build_board(scenario, board)
    main(["diagnose", "--sim", str(board), "--json", *extra])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("code, name, words", [
    (2, "FAULT_CODE_UNDER_VOLTAGE", "cut-off"),
    (3, "FAULT_CODE_DRV", "do not retry under load"),
    (5, "FAULT_CODE_OVER_TEMP_FET", "cool"),
    (4, "FAULT_CODE_ABS_OVER_CURRENT", "detection again"),
    (11, "FAULT_CODE_ENCODER_SPI", "faults"),
])
def test_a_fault_code_ends_active_fault_naming_it(code, name, words, tmp_path, capsys):
    report = diagnose_with_fault(tmp_path, capsys, code)
    verdict = report["verdict"]
    assert verdict["code"] == "active-fault", (report["findings"], report["path"])
    assert name in verdict["title"] and name in verdict["explanation"] and f"code {code}" in verdict["explanation"]
    assert words in " ".join([verdict["explanation"], *verdict["next_steps"]])
    assert "{" not in verdict["explanation"]


def test_without_a_probe_the_fault_is_still_named(tmp_path, capsys):
    scenario = copy.deepcopy(find_scenario("active-fault"))
    scenario.config.probe = "none"
    board = tmp_path / "board"
    build_board(scenario, board)
    main(["diagnose", "--sim", str(board), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"]["code"] == "active-fault"
    assert "FAULT_CODE_UNDER_VOLTAGE" in report["verdict"]["explanation"]
