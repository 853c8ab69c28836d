"""`vescdoctor fix` over USB on simulated boards with `probe: none` (issue 18's done-when)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vescdoctor.environment import sim_environment
from vescdoctor.sim import imagegen
from vescdoctor.usbrepair.execute import wait_for_firmware

from board_support import fix, flash, make
from testdata import FIRMWARE_DIR, needs_firmware

pytestmark = pytest.mark.slow
S11 = 0xE0000


@pytest.fixture
def usb_images(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in (("bl", imagegen.bootloader(compression=True)),
                       ("fw6", imagegen.firmware("410", "6.02", "release6"))):
        out[name] = tmp_path / f"{name}.bin"
        out[name].write_bytes(data)
    return out


def _version(board: Path) -> str | None:
    with sim_environment(board) as env:
        fw = wait_for_firmware(env, 5)
    return fw.version if fw else None


def test_running_firmware_blank_sector_11_gets_the_bootloader_over_usb(tmp_path, usb_images, capsys):
    board = make(tmp_path, "usb-no-bootloader")
    before = flash(board)
    assert fix(board, tmp_path, "--yes", "--bootloader", str(usb_images["bl"])) == 0
    after, bl = flash(board), usb_images["bl"].read_bytes()
    assert after[S11:S11 + len(bl)] == bl and after[S11 + len(bl):] == b"\xff" * (0x20000 - len(bl))
    assert after[:S11] == before[:S11]  # firmware, configuration and buffer untouched
    out = capsys.readouterr()
    assert "done over USB" in out.out and "usb-write-bootloader" in out.err


def test_update_5_03_to_6_02_over_usb_report_names_images_and_saved_config(tmp_path, usb_images, capsys):
    board = make(tmp_path, "usb-no-bootloader")
    report = tmp_path / "report.json"
    code = fix(board, tmp_path, "--yes", "--bootloader", str(usb_images["bl"]), "--firmware",
               str(usb_images["fw6"]), "--report", str(report))
    assert code == 0, capsys.readouterr().err
    assert _version(board) == "6.02"
    doc = json.loads(report.read_text())
    assert {i["what"]: i.get("version") for i in doc["images"]}["firmware"] == "6.02"
    assert "bootloader" in {i["what"] for i in doc["images"]}
    steps = {a["step"]: a for a in doc["actions"]}
    assert steps["save-config"]["ok"] and steps["usb-update-firmware"]["ok"]
    assert doc["backup"]["file"].endswith("-config-usb.json")  # the report names the saved configuration
    saved = json.loads(next((tmp_path / "backups").glob("*-config-usb.json")).read_text())
    assert saved["fw_version"] == "5.03" and saved["mcconf"] and saved["appconf"]
    assert "wipes the motor and app configuration" in capsys.readouterr().err


@pytest.mark.parametrize("scenario", ["usb-no-bootloader", "usb-broken-bootloader"])
def test_seed_case_vescdoctors_update_leaves_a_working_board(tmp_path, usb_images, scenario):
    board = make(tmp_path, scenario)
    assert fix(board, tmp_path, "--yes", "--bootloader", str(usb_images["bl"]), "--firmware",
               str(usb_images["fw6"])) == 0
    assert _version(board) == "6.02"


def test_cable_pulled_mid_upload_exit_1_then_the_next_run_finishes(tmp_path, usb_images, capsys):
    board = make(tmp_path, "usb-no-bootloader", faults="{usb_unplug_after_bytes: 3000}")
    args = ("--yes", "--bootloader", str(usb_images["bl"]))
    assert fix(board, tmp_path, *args) == 1
    err = capsys.readouterr().err
    assert "fix did not complete" in err and "plug the cable back in and run `vescdoctor fix" in err
    torn = flash(board)[S11:S11 + 0x2000]
    assert torn != usb_images["bl"].read_bytes()[:0x2000]
    assert list((tmp_path / "backups").glob("usb-repair-*.json"))
    assert fix(board, tmp_path, *args) == 0
    assert "was interrupted while installing the bootloader" in capsys.readouterr().err
    bl = usb_images["bl"].read_bytes()
    assert flash(board)[S11:S11 + len(bl)] == bl
    assert not list((tmp_path / "backups").glob("usb-repair-*.json"))


def test_power_lost_while_the_bootloader_copies_says_only_swd_can_go_on(tmp_path, usb_images, capsys):
    # erases: 3 of the buffer (ERASE_NEW_APP), 1 of sector 11, then the bootloader's: the power goes at its 2nd
    board = make(tmp_path, "usb-no-bootloader", faults="{power_loss_after_erases: 6}")
    args = ("--yes", "--bootloader", str(usb_images["bl"]), "--firmware", str(usb_images["fw6"]))
    assert fix(board, tmp_path, *args) == 1
    assert "only SWD can go on" in capsys.readouterr().err
    text = (board / "board.yaml").read_text()
    (board / "board.yaml").write_text(text.replace("power: off", "power: on"))
    assert fix(board, tmp_path, *args) == 3  # no firmware answers, no probe
    err = capsys.readouterr().err
    assert "interrupted while the bootloader copying" in err and "fix --via swd" in err


def test_dry_run_over_usb_changes_nothing(tmp_path, usb_images, capsys):
    board = make(tmp_path, "usb-no-bootloader")
    before = flash(board)
    assert fix(board, tmp_path, "--dry-run", "--bootloader", str(usb_images["bl"]), "--firmware",
               str(usb_images["fw6"])) == 0
    assert flash(board) == before
    assert "over USB" in capsys.readouterr().out


def test_via_usb_without_a_bootloader_image_is_refused_before_anything_is_sent(tmp_path, capsys):
    board = make(tmp_path, "usb-no-bootloader")
    before = flash(board)
    assert fix(board, tmp_path, "--yes") == 2
    assert "--bootloader FILE" in capsys.readouterr().err
    assert flash(board) == before


@needs_firmware
def test_real_images_bootloader_and_firmware_over_usb(tmp_path, capsys):
    board = make(tmp_path, "usb-no-bootloader")
    bl, fw = FIRMWARE_DIR / "bootloader_hw4x_2022-12.bin", FIRMWARE_DIR / "fw_410_2022-01.bin"
    assert fix(board, tmp_path, "--yes", "--bootloader", str(bl), "--firmware", str(fw)) == 0, \
        capsys.readouterr().err
    after = flash(board)
    assert after[S11:S11 + bl.stat().st_size] == bl.read_bytes()
    assert after[0xC000:0x50000] == fw.read_bytes()[0xC000:0x50000]  # the bootloader copied the release
    assert _version(board) == "5.03"
