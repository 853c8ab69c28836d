"""The bench's firmware update path and bootloader model (sim/vesc_update.py, sim/bootloader_model.py), driven
through real pyserial as VESC Tool would drive a real board."""
from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

from vescdoctor.environment import sim_environment
from vescdoctor.knowledge.checksums import crc16_xmodem
from vescdoctor.protocol.commands import Command
from vescdoctor.sim import imagegen
from vescdoctor.usbrepair import transfer
from vescdoctor.usbrepair.execute import wait_for_firmware
from vescdoctor.usbrepair.link import UsbSilent, VescLink

from board_support import flash, make

S11 = 0xE0000


def _write(link, offset: int, data: bytes) -> bytes:
    return link.call(bytes((Command.WRITE_NEW_APP_DATA,)) + struct.pack(">I", offset) + data)


def _runs(env):
    deadline = time.monotonic() + 60
    while not env.bench.attachments.get("bootloader_runs") and time.monotonic() < deadline:
        time.sleep(0.05)
    return env.bench.attachments["bootloader_runs"]


def test_write_at_0x60000_reaches_sector_11_and_erase_bootloader_erases_it(tmp_path: Path):
    board = make(tmp_path, "usb-no-bootloader")
    with sim_environment(board) as env, VescLink(env) as link:
        assert _write(link, 0x60000, b"\x12\x34\x56\x78") == bytes((3, 1)) + struct.pack(">I", 0x60000)
        assert env.bench.board.flash[S11:S11 + 4] == b"\x12\x34\x56\x78"
        assert link.call(bytes((Command.ERASE_BOOTLOADER,))) == bytes((Command.ERASE_BOOTLOADER, 1))
        assert env.bench.board.flash[S11:S11 + 4] == b"\xff" * 4
    assert flash(board)[S11:S11 + 4] == b"\xff" * 4  # flash.bin persists


def test_write_protected_sector_11_fails_and_says_so(tmp_path: Path):
    board = make(tmp_path, "usb-no-bootloader")
    (board / "board.yaml").write_text((board / "board.yaml").read_text().replace("wrp: []", "wrp: [11]"))
    with sim_environment(board) as env, VescLink(env) as link:
        assert link.call(bytes((Command.ERASE_BOOTLOADER,)))[1] == 0
        assert _write(link, 0x60000, b"\x00" * 8)[1] == 0
    assert flash(board)[S11:S11 + 8] == b"\xff" * 8


def test_firmware_before_3_59_ignores_erase_bootloader_and_writes_without_erasing(tmp_path: Path):
    board = make(tmp_path, "update-did-nothing")  # FW 3.40 running
    with sim_environment(board) as env, VescLink(env) as link:
        assert link.fw_version().version == "3.40"
        with pytest.raises(UsbSilent):
            link.call(bytes((Command.ERASE_BOOTLOADER,)), timeout=0.5)
        assert _write(link, 0x60000, b"\xf0\x0f")[1] == 1
        assert bytes(env.bench.board.flash[S11:S11 + 2]) == b"\xf0\x0f"
        assert _write(link, 0x60000, b"\x0f\xf0")[1] == 1
        assert bytes(env.bench.board.flash[S11:S11 + 2]) == b"\x00\x00"  # programming only clears bits


def _update_without_bootloader(board: Path, image: bytes):
    """What VESC Tool's firmware tab does when it does not upload the bootloader again."""
    with sim_environment(board) as env:
        with VescLink(env) as link:
            transfer.upload_firmware(link, image, transfer.update_buffer(image), lambda f: None)
            transfer.jump_to_bootloader(link)
        run = _runs(env)[-1]
        fw = wait_for_firmware(env, 10)
        return run, fw


@pytest.mark.slow
def test_blank_sector_11_the_old_firmware_comes_back(tmp_path: Path):
    board = make(tmp_path, "usb-no-bootloader")
    image = imagegen.firmware("410", "5.03", "release5", seed=4)[:0x30000]
    run, fw = _update_without_bootloader(board, image)
    assert run.outcome == "watchdog-old-firmware"
    assert fw is not None and fw.version == "5.03"
    assert flash(board)[S11:] == b"\xff" * 0x20000


@pytest.mark.slow
def test_broken_bootloader_leaves_no_firmware(tmp_path: Path):
    board = make(tmp_path, "usb-broken-bootloader")
    image = imagegen.firmware("410", "6.02", "release6")
    run, fw = _update_without_bootloader(board, image)
    assert run.outcome == "broken" and fw is None
    assert flash(board)[:8] == b"\xff" * 8


def _buffer_board(tmp_path: Path, buffer: bytes, compression: bool) -> Path:
    board = make(tmp_path, "usb-no-bootloader")
    data = bytearray(flash(board))
    bl = imagegen.bootloader(compression=compression)
    data[S11:S11 + len(bl)] = bl
    data[0x80000:0x80000 + len(buffer)] = buffer
    (board / "flash.bin").write_bytes(bytes(data))
    return board


@pytest.mark.parametrize("header,blinks", [(struct.pack(">IH", 0, 0), "red x4"),
                                           (struct.pack(">IH", 0x70000, 0), "red x3"),
                                           (struct.pack(">IH", 4, 0x1234) + b"abcd", "red x5")])
def test_bootloader_checks_refuse_and_blink(tmp_path: Path, header: bytes, blinks: str):
    board = _buffer_board(tmp_path, header, compression=True)
    before = flash(board)[:0x80000]
    with sim_environment(board) as env:
        with VescLink(env) as link:
            transfer.jump_to_bootloader(link)
        run = _runs(env)[-1]
    assert (run.outcome, run.blinks) == ("refused", [blinks])
    assert flash(board)[:0x80000] == before


def test_bootloader_without_heatshrink_refuses_a_compressed_update(tmp_path: Path):
    image = imagegen.firmware("410", "6.02", "release6")
    board = _buffer_board(tmp_path, transfer.update_buffer(image).data, compression=False)
    with sim_environment(board) as env:
        with VescLink(env) as link:
            transfer.jump_to_bootloader(link)
        assert _runs(env)[-1].blinks == ["red x3"]


def test_update_buffer_header_and_compression():
    small = bytes(range(256)) * 4
    buf = transfer.update_buffer(small)
    assert buf.data[:6] == struct.pack(">IH", len(small), crc16_xmodem(small)) and not buf.compressed
    big = imagegen.firmware("410", "6.02", "release6")
    buf = transfer.update_buffer(big)
    assert buf.compressed and buf.data[0] == 0xCC and buf.payload_size <= 393208
    import heatshrink2
    assert heatshrink2.decompress(buf.data[6:], window_sz2=13, lookahead_sz2=5) == big
    assert [o for o, _ in transfer.chunks(b"\xff" * 384 + b"\x00" + b"\xff" * 383, 0x60000)] == [0x60000 + 384]
