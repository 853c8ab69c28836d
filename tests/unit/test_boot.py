"""The boot model of spec/board.md over boards laid out in memory: generated images always, real ones when present."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from vescdoctor.knowledge.checksums import stm32_crc32
from vescdoctor.knowledge.flash import FLASH_BASE, FLASH_SIZE
from vescdoctor.sim import imagegen
from vescdoctor.sim.board import Board, BoardConfig, OptionBytes
from vescdoctor.sim.boot import VescIdentity, dfu_serial, evaluate, image_crc, power_on_reset, runnable, unique_id

from testdata import FIRMWARE_DIR, needs_firmware

FLAG5, CRC5 = 0x0805FFF0, 0x0805FFF4
FLAG6, CRC6 = 0x0807FFF0, 0x0807FFF4


def make_board(*images: tuple[int, bytes], tmp: Path = Path("/nonexistent"), **config) -> Board:
    flash = bytearray(b"\xff" * FLASH_SIZE)
    for at, data in images:
        flash[at - FLASH_BASE:at - FLASH_BASE + len(data)] = data
    options = config.pop("option_bytes", None)
    cfg = BoardConfig(**config)
    if options:
        cfg.option_bytes = options
    return Board(tmp, cfg, flash)


def word(board: Board, addr: int) -> int:
    return struct.unpack_from("<I", board.flash, addr - FLASH_BASE)[0]


FW_410 = imagegen.firmware("410", "5.03", "release5")
FW_60 = imagegen.firmware("60", "5.03", "release5", seed=1)
FW6_60 = imagegen.firmware("60", "6.05", "release6", seed=2)
BOOTLOADER = imagegen.bootloader()


def healthy(**config) -> Board:
    return make_board((0x08000000, FW_410), (0x080E0000, BOOTLOADER), **{"hw": "410", **config})


def test_first_boot_writes_flag_and_crc_and_only_those_bytes():
    board = healthy()
    before = bytes(board.flash)
    assert evaluate(board).first_boot and bytes(board.flash) == before  # evaluate has no side effects
    state = power_on_reset(board)
    assert state.running == "vesc" and state.led == "green" and not state.first_boot
    assert word(board, FLAG5) == 0
    expected = stm32_crc32(before[:0x4000] + before[0xC000:FLAG5 - FLASH_BASE] + b"\x00" * 4)
    assert word(board, CRC5) == expected
    changed = [i for i in range(FLASH_SIZE) if board.flash[i] != before[i]]
    assert changed and min(changed) >= FLAG5 - FLASH_BASE and max(changed) < CRC5 + 4 - FLASH_BASE
    assert image_crc(bytes(board.flash), FLAG5, include_crc_word=True) == 0  # the residue property
    after = bytes(board.flash)
    assert power_on_reset(board).running == "vesc" and bytes(board.flash) == after  # second boot writes nothing


def test_fw6_release_layout_keeps_crc_words_at_0x0807FFF0():
    board = make_board((0x08000000, FW6_60), hw="60")
    state = power_on_reset(board)
    assert state.running == "vesc" and state.crc_flag_addr == FLAG6
    assert word(board, FLAG6) == 0 and word(board, CRC6) not in (0, 0xFFFFFFFF)
    assert word(board, FLAG5) != 0 or FW6_60[FLAG5 - FLASH_BASE:FLAG5 - FLASH_BASE + 4] == b"\0\0\0\0"
    assert state.vesc.version == "6.05"
    reply = state.vesc.version_reply()
    assert reply[:3] == bytes([0, 6, 5]) and reply[3:6] == b"60\x00" and reply[6:18] == unique_id(board)
    # FW name "" then the u32 HW config CRC that 6.05+ appends (release_6_05 comm/commands.c:291)
    assert reply[-5:-4] == b"\x00" and len(reply) == 3 + 3 + 12 + 1 + 1 + 2 + 4 + 1 + 4


def test_small_image_has_no_crc_check():
    board = make_board((0x08000000, imagegen.firmware("410", "5.03", "small")), hw="410")
    before = bytes(board.flash)
    state = power_on_reset(board)
    assert state.running == "vesc" and state.crc_flag_addr is None and bytes(board.flash) == before


def test_changed_word_after_first_boot_is_a_crc_fault_fast_red_no_usb():
    board = healthy()
    power_on_reset(board)
    board.flash[0x21000:0x21004] = b"\x00\x00\x00\x00"
    state = evaluate(board)
    assert (state.running, state.led, state.usb_devices, state.vesc) == ("crc-fault", "red-fast", [], None)
    assert "CRC" in state.reason


def test_crc_fault_of_other_hw_firmware_leaves_leds_dark():
    board = make_board((0x08000000, FW_60), hw="410")
    power_on_reset(board)
    board.flash[0x30000] = 0
    state = evaluate(board)
    assert (state.running, state.led, state.app_hw) == ("crc-fault", "blue-only", "60")


def test_flag_already_zero_with_blank_crc_word_fails_check():
    board = healthy()
    board.flash[FLAG5 - FLASH_BASE:FLAG5 - FLASH_BASE + 4] = b"\0\0\0\0"
    assert power_on_reset(board).running == "crc-fault"


def test_write_protected_crc_sector_makes_first_boot_fail():
    board = healthy(option_bytes=OptionBytes(wrp=[6]))  # 0x0805FFF0 is in sector 6
    before = bytes(board.flash)
    state = power_on_reset(board)
    assert state.running == "crc-fault" and "write-protected" in state.reason and bytes(board.flash) == before


def test_healthy_vesc_usb_identity_and_uuid_from_unique_id():
    board = healthy()
    state = power_on_reset(board)
    (dev,) = state.usb_devices
    assert (dev.vid, dev.pid, dev.kind) == (0x0483, 0x5740, "vesc-cdc")
    assert (dev.manufacturer, dev.product, dev.serial) == ("STMicroelectronics", "ChibiOS/RT Virtual COM Port", "304")
    assert state.vesc == VescIdentity("410", 5, 3, unique_id(board))
    assert state.serial_error is None


def test_unique_id_is_96_bits_deterministic_and_independent_of_flash_and_path(tmp_path):
    a, b = healthy(), make_board(hw="410", tmp=tmp_path)
    assert len(unique_id(a)) == 12 and unique_id(a) == unique_id(b)
    assert unique_id(make_board(hw="60")) != unique_id(a)
    assert len(dfu_serial(unique_id(a))) == 12


def test_other_hw_firmware_runs_answers_its_own_name_leds_dark():
    state = power_on_reset(make_board((0x08000000, FW_60), hw="410"))
    assert (state.running, state.led, state.vesc.hw_name) == ("vesc", "blue-only", "60")
    assert [d.pid for d in state.usb_devices] == [0x5740]


@pytest.mark.parametrize("usb", ["charge-only", "unplugged"])
def test_no_data_cable_nothing_enumerates(usb):
    state = power_on_reset(healthy(usb=usb))
    assert state.running == "vesc" and state.led == "green" and state.usb_devices == [] and state.serial_error is None


@pytest.mark.parametrize("host,error", [("no-permission", "EACCES"), ("port-busy", "EBUSY"), ("ok", None)])
def test_host_side_serial_errors(host, error):
    assert power_on_reset(healthy(host=host)).serial_error == error


def test_power_off_nothing_anywhere_and_no_write():
    board = healthy(power="off")
    before = bytes(board.flash)
    state = power_on_reset(board)
    assert (state.running, state.led, state.usb_devices, state.vesc) == ("off", "off", [], None)
    assert bytes(board.flash) == before


def test_boot0_high_shows_dfu_and_does_not_run_the_app():
    board = healthy(boot0="high", hw="60")
    before = bytes(board.flash)
    state = power_on_reset(board)
    assert state.running == "dfu" and state.vesc is None and bytes(board.flash) == before
    (dev,) = state.usb_devices
    assert (dev.vid, dev.pid, dev.kind, dev.product) == (0x0483, 0xDF11, "dfu", "STM32  BOOTLOADER")
    assert power_on_reset(healthy(boot0="high", usb="charge-only")).usb_devices == []


@pytest.mark.parametrize("edit,why", [
    ((0x08000000, b"\xff" * 0x4000), "SP"),  # erased sector 0
    ((0x08000000, struct.pack("<I", 0x30000000)), "SP"),  # SP outside SRAM and CCM
    ((0x08000004, struct.pack("<I", 0x0800C000)), "odd"),  # even reset vector
    ((0x08000004, struct.pack("<I", 0x0810C001)), "odd"),  # reset vector outside flash
    ((0x0800C000, b"\xff" * 16), "erased"),  # reset handler erased
])
def test_not_runnable_blue_only_no_usb(edit, why):
    board = healthy()
    at, data = edit
    board.flash[at - FLASH_BASE:at - FLASH_BASE + len(data)] = data
    state = evaluate(board)
    assert (state.running, state.led, state.usb_devices) == ("not-runnable", "blue-only", [])
    assert why in state.reason


def test_sp_in_ccm_is_runnable():
    flash = bytearray(FW_410) + b"\xff" * (FLASH_SIZE - len(FW_410))
    flash[0:4] = struct.pack("<I", 0x10010000)
    assert runnable(bytes(flash))[0]


def test_runnable_app_without_vesc_identity_runs_silently():
    state = power_on_reset(make_board((0x08000000, imagegen.other_app()), hw="410"))
    assert (state.running, state.led, state.usb_devices, state.vesc) == ("other-app", "blue-only", [], None)


def test_stuck_byte_is_read_by_the_firmware_too():
    board = healthy(faults={"stuck_bits": [{"addr": 0x08030000, "value": 0x00}]})
    power_on_reset(board)  # CRC computed over what the CPU reads, stuck byte included
    assert evaluate(board).running == "vesc"
    board.config.faults = {}
    assert evaluate(board).running == "crc-fault"


def test_version_reply_fields_follow_the_generation():
    uid = bytes(range(12))
    # no pairing byte before 3.48
    assert VescIdentity("410", 3, 40, uid).version_reply() == b"\x00\x03\x28410\x00" + uid
    # 5.03: pairing, test, hw type, custom configs, then phase filters and both QML flags (release_5_03 commands.c)
    assert VescIdentity("410", 5, 3, uid).version_reply() == b"\x00\x05\x03410\x00" + uid + bytes(7)
    assert VescIdentity("410", 5, 2, uid).version_reply() == b"\x00\x05\x02410\x00" + uid + bytes(4)
    six = VescIdentity("60", 6, 2, uid, fw_name="X").version_reply()
    assert six.endswith(b"X\x00") and len(six) == 3 + 3 + 12 + 8 + 2
    seven = VescIdentity("60", 7, 0, uid, hw_config_crc=0x01020304).version_reply()
    assert seven.endswith(b"\x00\x01\x02\x03\x04")


@pytest.mark.parametrize("version,serial", [((3, 40), "301"), ((4, 2), "301"), ((5, 1), "304"), ((7, 0), "304")])
def test_usb_serial_is_the_chibios_version_of_the_firmware(version, serial):
    from vescdoctor.sim.boot import _usb_vesc

    assert _usb_vesc(version).serial == serial


@needs_firmware
@pytest.mark.parametrize("name,crc", [("fw_410_2022-01.bin", 0x933B59DF), ("fw_60_2022-01.bin", 0x548DD9C7)])
def test_first_boot_reproduces_reference_vectors_on_real_images(name, crc):
    board = make_board((0x08000000, (FIRMWARE_DIR / name).read_bytes()), hw=name.split("_")[1])
    state = power_on_reset(board)
    assert state.running == "vesc" and state.led == "green" and state.vesc.version == "5.03"
    assert (word(board, FLAG5), word(board, CRC5)) == (0, crc)
    assert image_crc(bytes(board.flash), FLAG5, include_crc_word=True) == 0


@needs_firmware
def test_real_fw_340_has_no_crc_words_and_old_usb_serial():
    board = make_board((0x08000000, (FIRMWARE_DIR / "fw_410_2018-07.bin").read_bytes()), hw="410")
    before = bytes(board.flash)
    state = power_on_reset(board)
    assert state.running == "vesc" and state.vesc.version == "3.40" and state.crc_flag_addr is None
    assert bytes(board.flash) == before and state.usb_devices[0].serial == "301"


@needs_firmware
def test_real_bootloader_alone_is_not_runnable():
    board = make_board((0x080E0000, (FIRMWARE_DIR / "bootloader_hw4x_2022-12.bin").read_bytes()))
    assert evaluate(board).running == "not-runnable"
