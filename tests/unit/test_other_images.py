"""Issue 15: images for other VESC chips are named as such by inspect (VESC BMS bootloader and firmware, the
STM32G431 custom-module bootloader), and third-party firmware (Enertion Unity 23.46, Ackmaniac 3.102) is recognised
and explained. Generated images always; vesc_tool's real files when the mirror is there."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.images import identify
from vescdoctor.images.version import version_from_code
from vescdoctor.knowledge.other_images import third_party
from vescdoctor.sim import imagegen

VESC_TOOL = Path("/work/.mirror/vedderb+vesc_tool/repo")


@pytest.mark.parametrize("base,word", [(0x0803E000, "VESC BMS bootloader"), (0x0801E000, "STM32G431")])
def test_other_chip_bootloaders_are_named(base, word):
    info = identify(imagegen.other_chip_bootloader(base))
    assert info.kind == "unknown" and word in info.other_device
    assert "another chip" in info.problems[0] and "not VESC firmware" not in " ".join(info.problems)


def test_bms_firmware_is_not_taken_for_vesc_firmware():
    info = identify(imagegen.bms_firmware("12s7p"))
    assert info.kind == "unknown" and info.hw is None and info.other_device == "VESC BMS firmware for HW 12s7p"


def test_motor_firmware_is_still_firmware():
    info = identify(imagegen.firmware("410", "5.03"))
    assert info.kind == "firmware" and info.other_device is None


@pytest.mark.parametrize("hw,version,name", [("UNITY", "23.46", "Enertion Unity"), ("410", "3.102", "Ackmaniac")])
def test_third_party_firmware_is_recognised_and_explained(tmp_path, capsys, hw, version, name):
    image = imagegen.firmware(hw, version, "small")
    assert version_from_code(image) == version
    assert third_party(version, hw).name.startswith(name)
    path = tmp_path / "fw.bin"
    path.write_bytes(image)
    main(["inspect", str(path), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == version and any(name in n and "5.03 first" in n for n in doc["notes"])
    assert third_party("6.05", "60") is None and third_party("5.03", "UNITY") is None


@pytest.mark.real_firmware
@pytest.mark.parametrize("path,word", [("res/bootloaders_bms/generic.bin", "VESC BMS bootloader"),
                                       ("res/bootloaders_custom_module/stm32g431/stm32g431.bin", "STM32G431"),
                                       ("res/firmwares_bms/12s7p/vesc_default.bin", "VESC BMS firmware")])
def test_real_other_chip_images(path, word):
    if not VESC_TOOL.is_dir():
        pytest.skip(f"upstream mirror {VESC_TOOL} not available")
    data = subprocess.run(["git", "--git-dir", str(VESC_TOOL), "cat-file", "blob", f"HEAD:{path}"],
                          capture_output=True, check=True).stdout
    info = identify(data)
    assert info.kind == "unknown" and word in info.other_device
