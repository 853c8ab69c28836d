"""Issue 17: "the old firmware came back" has its own route: straight to the bootloader sector (11) and the update
buffer (sectors 8-10), then the question a rider can answer (how the upload ended), then the verdict they point at."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.sim.scenario import build_board, find_scenario


def board(tmp_path: Path, name: str, *, blank_buffer: bool = False) -> Path:
    scenario = copy.deepcopy(find_scenario(name))
    if blank_buffer:  # no update op: the buffer stays erased
        scenario.flash = [op for op in scenario.flash if op.at < 0x08080000 or op.at >= 0x080E0000]
    path = tmp_path / "board"
    build_board(scenario, path)
    return path


def diagnose(path: Path, capsys, *answers: str) -> dict:
    args = [a for pair in answers for a in ("--answer", pair)]
    main(["diagnose", "--sim", str(path), "--json", *args])
    return json.loads(capsys.readouterr().out)


def nodes(report: dict) -> list[str]:
    return [step["node"] for step in report["path"]]


def verdict_node(report: dict) -> str:
    return report["path"][-1]["node"]


def test_an_update_cut_short_goes_to_the_buffer_and_says_so(tmp_path, capsys):
    report = diagnose(board(tmp_path, "update-cut-short"), capsys, "symptom=old-firmware-after-update",
                      "update_end=stopped", "led=green")
    path = nodes(report)
    assert path.index("flash-map") + 1 == path.index("update-ended")  # straight after the flash map: no detour
    assert "update-look" in path and "hw-swd" not in path
    assert verdict_node(report) == "v-update-cut-short" and report["verdict"]["code"] == "healthy"
    assert "sectors 8-10 from 0x08080000" in report["verdict"]["explanation"]
    assert "sector 11" in report["verdict"]["explanation"]


def test_another_symptom_on_the_same_board_takes_the_usual_route(tmp_path, capsys):
    report = diagnose(board(tmp_path, "update-cut-short"), capsys, "symptom=no-usb", "led=green")
    assert "update-ended" not in nodes(report) and verdict_node(report) == "v-healthy"


@pytest.mark.parametrize("answer,node", [("finished", "v-update-other-vesc"), ("stopped", "v-update-never-arrived"),
                                         ("unsure", "v-update-never-arrived")])
def test_an_empty_buffer_is_read_with_what_the_rider_saw(tmp_path, capsys, answer, node):
    report = diagnose(board(tmp_path, "update-cut-short", blank_buffer=True), capsys,
                      "symptom=old-firmware-after-update", f"update_end={answer}", "led=green")
    assert report["facts"]["flash.buffer_present"] is False
    assert verdict_node(report) == node and report["verdict"]["code"] == "healthy"


@pytest.mark.parametrize("name,verdict", [("update-did-nothing", "bootloader-missing"),
                                          ("bootloader-too-old", "bootloader-too-old")])
def test_a_bootloader_problem_still_wins_on_the_update_route(tmp_path, capsys, name, verdict):
    report = diagnose(board(tmp_path, name), capsys, "symptom=old-firmware-after-update")
    assert "update-look" in nodes(report) and report["verdict"]["code"] == verdict
