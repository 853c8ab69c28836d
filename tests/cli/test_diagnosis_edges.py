"""Boards the reference scenarios don't cover, where a careless diagnosis goes wrong (from the code review)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.sim.scenario import build_board, load_scenario

from testdata import FIRMWARE_DIR, needs_firmware

HEALTHY = """\
board: {hw: "410"%s}
flash:
  - {at: 0x08000000, generate: firmware, hw: "410", version: "5.03", size: release5, layout: reference}
  - {at: 0x080E0000, generate: bootloader, compression: true}
boot: true
"""


def board_from(tmp_path: Path, text: str, board_extra: str = "") -> Path:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: edge\ndescription: an edge case\n" + (HEALTHY % board_extra) + textwrap.dedent(text))
    board = tmp_path / "board"
    build_board(load_scenario(scenario), board)
    return board


def diagnose(board: Path, capsys, *answers: str) -> tuple[int, dict]:
    code = main(["diagnose", "--sim", str(board), "--json", *answers])
    return code, json.loads(capsys.readouterr().out)


def test_bootloader_write_cut_short_is_not_a_bootloader(tmp_path, capsys):
    """Valid-looking vectors in sector 11, but erased flash behind the reset vector: the next update would brick."""
    board = board_from(tmp_path, "after_boot:\n  - {at: 0x080E0180, erase: 0x1FE80}\n")
    code, report = diagnose(board, capsys)
    assert report["verdict"]["code"] == "bootloader-missing", report["findings"]
    assert report["facts"]["flash.bootloader_state"] == "garbage"


def test_app_with_a_sector_erased_behind_valid_vectors_is_missing(tmp_path, capsys):
    board = board_from(tmp_path, "after_boot:\n  - {at: 0x08010000, erase: 0x10000}\n")
    code, report = diagnose(board, capsys, "--answer", "led=blue-only")
    assert report["verdict"]["code"] == "app-missing", report["findings"]
    assert report["facts"]["flash.app_partial"] is True


def test_stale_fw6_tail_in_sector_7_is_not_a_crc_mismatch(tmp_path, capsys):
    """5.03 written over a 6.x: sector 7 keeps the old tail and its CRC words; the 5.03 checks only its own."""
    board = board_from(tmp_path, "after_boot:\n  - {at: 0x08060000, fill: 0x5A, size: 0x1000}\n"
                                 "  - {at: 0x0807FFF0, hex: \"00000000 12345678\"}\n")
    code, report = diagnose(board, capsys)
    assert report["facts"]["flash.app_crc"] == "ok"
    assert report["verdict"]["code"] == "healthy", report["findings"]


def test_without_a_probe_the_update_symptom_is_not_called_healthy(tmp_path, capsys):
    """USB can't see the bootloader: 'the update did nothing' needs SWD before anyone says healthy."""
    board = board_from(tmp_path, "", ", probe: none")
    code, report = diagnose(board, capsys, "--answer", "symptom=old-firmware-after-update")
    assert (code, report["verdict"]["code"]) == (3, "no-probe")
    code, report = diagnose(board, capsys, "--answer", "symptom=no-usb")
    assert (code, report["verdict"]["code"]) == (0, "healthy")


def test_noisy_swd_link_is_read_through_retries(tmp_path, capsys):
    board = board_from(tmp_path, "", ", faults: {swd_error_rate: 0.02}")
    code, report = diagnose(board, capsys)
    assert report["verdict"]["code"] == "healthy", (report["findings"], report["path"])


@pytest.mark.parametrize("rate", [0.3, 0.6])
def test_a_very_noisy_link_never_looks_like_a_bricked_board(tmp_path, capsys, rate):
    board = board_from(tmp_path, "", f", faults: {{swd_error_rate: {rate}}}")
    code, report = diagnose(board, capsys)
    assert not {"app-missing", "bootloader-missing", "firmware-crc-mismatch"} & set(report["findings"]), \
        (report["findings"], report["path"])
    assert report["verdict"]["code"] in ("healthy", "swd-no-response")


def test_a_diagnosis_never_runs_code_on_a_chip_that_has_firmware(tmp_path):
    """Under reset the core is halted at the firmware's reset vector; a blank check there must read, not run
    pyOCD's CRC analyzer: that would leave the core in pyOCD's code when the session resumes it."""
    from vescdoctor.knowledge.flash import SECTORS
    from vescdoctor.sim.environment import BENCH_PYOCD_OPTIONS
    from vescdoctor.target.flash_reader import ChipReader
    from vescdoctor.target.session import open_session

    board = board_from(tmp_path, "", ", swd: needs-reset")
    with open_session(f"vescsim:{board}", connect_mode="under-reset", **BENCH_PYOCD_OPTIONS) as session:
        target = session.target
        assert target.is_halted()
        pc = target.read_core_register("pc")
        reader = ChipReader(target)
        assert reader.is_blank(SECTORS[7].address, SECTORS[7].size)
        assert not reader.ran_code and target.read_core_register("pc") == pc


@needs_firmware
def test_a_bootloader_for_other_hardware_is_pointed_out(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"""name: x
description: VESC 6 firmware beside the 4.x bootloader
board: {{hw: "60"}}
flash:
  - {{at: 0x08000000, file: {FIRMWARE_DIR / 'fw_60_2022-01.bin'}}}
  - {{at: 0x080E0000, file: {FIRMWARE_DIR / 'bootloader_hw4x_2022-12.bin'}}}
boot: true
""")
    board = tmp_path / "board"
    build_board(load_scenario(scenario), board)
    code, report = diagnose(board, capsys)
    lines = [line for run in report["probes"] for line in run["transcript"]]
    assert any("made for HW 40, 47, 48, 410" in line and "for HW 60" in line for line in lines)
