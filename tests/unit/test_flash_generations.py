"""Issue 15: the flash map of each firmware generation (3.x, 5.x, 6.00-6.05, 6.06+), read from the image in flash or
from the VESC's reply; a 6.06+ LispBM image in sector 8 is not an update; sector 11's package data told apart."""
from __future__ import annotations

import json
import struct

import pytest

from vescdoctor.cli import main
from vescdoctor.flash_analysis import BytesReader, analyze
from vescdoctor.knowledge.flash import FLASH_SIZE
from vescdoctor.knowledge.generations import BY_KEY, generation_of
from vescdoctor.sim import imagegen
from vescdoctor.sim.scenario import build_board, find_scenario


def flash_with(*parts: tuple[int, bytes]) -> bytes:
    flash = bytearray(b"\xff" * FLASH_SIZE)
    for offset, data in parts:
        flash[offset:offset + len(data)] = data
    return bytes(flash)


@pytest.mark.parametrize("version,key", [("3.27", "3.x"), ("4.02", "3.x"), ("5.03", "5.x"), ("6.00", "6.00-6.05"),
                                         ("6.05", "6.00-6.05"), ("6.06", "6.06+"), ("7.00", "6.06+")])
def test_generation_of_a_version(version, key):
    assert generation_of(version).key == key


def test_each_generation_names_its_data_sectors():
    assert BY_KEY["3.x"].role(7) == "free" and BY_KEY["5.x"].role(7) == "qml"
    assert [BY_KEY["6.00-6.05"].role(n) for n in (7, 8, 9, 10)] == ["app", "buffer", "qml", "lispbm"]
    assert [BY_KEY["6.06+"].role(n) for n in (8, 9, 10, 11)] == ["lispbm", "qml", "lispbm", "bootloader"]
    assert BY_KEY["6.06+"].package_sector == 11 and BY_KEY["6.00-6.05"].package_sector == 8


def test_606_lispbm_image_in_sector_8_is_lispbm_not_an_update():
    fw = imagegen.firmware("60", "6.06", "release6", seed=3)
    lbm = imagegen.lispbm_image(version="12345678", seed=3)
    assert struct.unpack(">I", lbm[:4])[0] >> 24 == 0  # its first word reads as a plausible update size
    fmap = analyze(BytesReader(flash_with((0, fw), (0x80000, lbm), (0xE0000, imagegen.bootloader(seed=3)))))
    assert fmap.generation.key == "6.06+" and fmap.lispbm_image
    assert not fmap.buffer.present and fmap.facts()["flash.buffer_size"] is None
    assert fmap.sectors[8].role == "lispbm" and "LispBM" in fmap.sectors[8].detail


def test_lispbm_mark_wins_over_an_unknown_version_and_an_update_keeps_its_sectors():
    fw = imagegen.firmware("60", "6.05", "release6", seed=4)
    lbm = imagegen.lispbm_image(seed=4)
    assert analyze(BytesReader(flash_with((0, fw), (0x80000, lbm)))).generation.key == "6.06+"
    update = imagegen.update_buffer(imagegen.firmware("60", "5.03", seed=4))
    fmap = analyze(BytesReader(flash_with((0, fw), (0x80000, update))))
    assert fmap.buffer.present and [s.role for s in fmap.sectors[8:11]] == ["buffer"] * 3


def test_the_vesc_reply_gives_the_generation_when_the_image_does_not():
    other = imagegen.firmware("60", "5.03", "small", seed=5)
    flash = flash_with((0, other))
    assert analyze(BytesReader(flash), fw_version="6.06").generation.key in ("5.x",)  # the image's own version wins
    assert analyze(BytesReader(flash_with()), fw_version="6.06").generation.key == "6.06+"


def test_sector_11_bootloader_followed_by_packages_or_packages_alone():
    fw = imagegen.firmware("60", "6.06", "release6", seed=6)
    boot = imagegen.bootloader(seed=6)
    pkg = imagegen.package_data(0x400, seed=6)
    both = analyze(BytesReader(flash_with((0, fw), (0xE0000, boot), (0xF0000, pkg))))
    assert both.bootloader.present and both.bootloader.packages == "after-bootloader"
    alone = analyze(BytesReader(flash_with((0, fw), (0xE0000, pkg))))
    assert not alone.bootloader.present and alone.bootloader.packages == "alone"
    assert "package data" in alone.sectors[11].detail
    older = analyze(BytesReader(flash_with((0, imagegen.firmware("60", "6.05", "release6", seed=6)),
                                           (0xE0000, boot), (0xF0000, pkg))))
    assert older.bootloader.packages is None  # before 6.06 nothing but the bootloader belongs there


@pytest.mark.slow
@pytest.mark.parametrize("scenario,verdict", [("healthy-fw606-lispbm", "healthy"),
                                              ("fw606-packages-wiped-bootloader", "bootloader-missing")])
def test_diagnosis_of_606_boards(scenario, verdict, tmp_path, capsys):
    board = tmp_path / "board"
    build_board(find_scenario(scenario), board)
    main(["diagnose", "--sim", str(board), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"]["code"] == verdict
    assert report["flash_map"][8]["role"] == "lispbm"
    assert report["facts"]["flash.generation"] == "6.06+"


def test_fix_plan_says_which_scripts_and_data_it_keeps_and_which_it_erases():
    from vescdoctor.fixes.plan import Plan, PlanStep, rider_data

    fmap = analyze(BytesReader(flash_with((0, imagegen.firmware("60", "6.06", "release6", seed=8)),
                                          (0x80000, imagegen.lispbm_image(seed=8)),
                                          (0xE0000, imagegen.bootloader(seed=8)),
                                          (0xF0000, imagegen.package_data(seed=8)))))
    data = rider_data(fmap.facts())
    assert set(data) == {8, 11}
    plan = Plan("firmware-crc-mismatch", [PlanStep("write-firmware", "Write the firmware", True, "")],
                [0, 3, 4, 5, 6, 7], [], "whole flash", rider_data=data)
    text = "\n".join(plan.describe())
    assert "Scripts and data kept: sector 8 (LispBM image" in text and "11 (bootloader and package data)" in text
    plan.erase_sectors = [0, 3, 4, 5, 6, 7, 8]
    assert "Scripts and data erased (the backup keeps them): sector 8" in "\n".join(plan.describe())


def test_backup_sidecar_describes_the_generation_and_roles():
    from vescdoctor.fixes.backup import backup_contents

    contents = backup_contents(flash_with((0, imagegen.firmware("410", "5.03", seed=9))))
    assert contents["generation"] == "5.x" and contents["sectors"][7]["role"] == "qml"
