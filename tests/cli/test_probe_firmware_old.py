"""Issue 17: an ST-Link whose own firmware pyOCD refuses (older than V2J24) ends `probe-firmware-old` naming the
version, not "check the wiring", and no text claims a voltage that was not measured."""
from __future__ import annotations

import json

from vescdoctor.cli import main
from vescdoctor.sim.scenario import build_board, find_scenario
from vescdoctor.swdlink import probe_firmware_too_old


def test_probe_firmware_v2j20s4_ends_probe_firmware_old_naming_the_version(tmp_path, capsys):
    board = tmp_path / "board"
    build_board(find_scenario("probe-firmware-old"), board)
    code = main(["diagnose", "--sim", str(board), "--json"])
    report = json.loads(capsys.readouterr().out)
    verdict = report["verdict"]
    assert verdict["code"] == "probe-firmware-old", (report["findings"], report["path"])
    assert code == 3  # nothing is known about the board yet
    assert "V2J20" in verdict["title"] and "V2J20" in verdict["explanation"]
    steps = " ".join(verdict["next_steps"])
    assert "STM32CubeProgrammer" in steps and "ST-LinkUpgrade" in steps
    swd = [p for p in report["probes"] if p["name"] == "swd.connect"][0]
    text = " ".join(swd["transcript"])
    assert "probe None" not in text and "V2J20" in text and "not measured" in text
    assert report["facts"]["swd.powered"] is None
    assert "measured it" not in verdict["explanation"]


def test_only_pyocds_refusal_of_old_firmware_is_taken_for_it():
    refusal = ("STLink 123 is using an unsupported, older firmware version. Please update to the latest STLink "
               "firmware. Current version is V2J23M7, must be at least version v2J24.")
    assert probe_firmware_too_old(Exception(refusal)) == "V2J23M7"
    assert probe_firmware_too_old(Exception("No ACK received")) is None
