"""Generated images have the real layout, are deterministic, and are read by the same code as real images."""
from __future__ import annotations

import struct

import pytest

from vescdoctor.images import find_hw_name, identify, identify_bootloader
from vescdoctor.knowledge.checksums import crc16_xmodem
from vescdoctor.knowledge.synthetic import MAGIC, make_marker, parse_marker
from vescdoctor.sim import imagegen


def words(data: bytes, count: int, offset: int = 0) -> tuple[int, ...]:
    return struct.unpack_from(f"<{count}I", data, offset)


@pytest.mark.parametrize("version,size,length,crc_at", [
    ("5.03", "release5", 393208, 393200), ("6.05", "release6", 524280, 524272), ("5.03", "small", 69632, None)])
def test_firmware_layout(version, size, length, crc_at):
    image = imagegen.firmware("410", version, size)
    assert len(image) == length
    sp, reset, *handlers = words(image, 16)
    assert (sp, reset) == (0x20000800, 0x0800C001)
    for h in handlers:  # exceptions point at odd addresses inside the code, or are reserved (0)
        assert h == 0 or (h & 1 and 0x0800C000 <= h < 0x08000000 + length)
    assert image[0x188:0x1A8] != b"\xff" * 32  # a little code after the vector table in sector 0
    gap = image[0x4000:0xC000]
    assert gap == bytes([0x00 if version >= "6" else 0xFF]) * 0x8000
    if crc_at:
        assert image[crc_at:] == b"\xff" * 8 and image[crc_at - 64:crc_at] == b"\xff" * 64
    else:
        assert image[-8:] != b"\xff" * 8


def test_gap_is_selectable():
    assert set(imagegen.firmware("410", "5.03", "small", gap=0x00)[0x4000:0xC000]) == {0}
    assert set(imagegen.firmware("60", "6.05", "release6", gap=0xFF)[0x4000:0xC000]) == {0xFF}


def test_deterministic_and_seeded():
    a = imagegen.firmware("410", "5.03", "release5", seed=7)
    assert a == imagegen.firmware("410", "5.03", "release5", seed=7)
    assert a != imagegen.firmware("410", "5.03", "release5", seed=8)
    assert imagegen.bootloader(seed=3) == imagegen.bootloader(seed=3) != imagegen.bootloader(seed=4)


@pytest.mark.parametrize("hw", ["410", "60", "75_300", "A200S V2.1", "60_MK6"])
@pytest.mark.parametrize("layout", ["reference", "moved", "merged"])
@pytest.mark.parametrize("seed", [0, 1])
def test_hw_name_found_by_the_image_module_in_every_layout(hw, layout, seed):
    image = imagegen.firmware(hw, "5.03", "small", seed=seed, layout=layout)
    assert find_hw_name(image) == hw
    standalone = b"\x00" + hw.encode() + b"\x00"
    if layout == "merged":  # no string of its own: only the tail of "org.vesc.<HW>"
        assert standalone not in image and b"org.vesc." + hw.encode() + b"\x00" in image
    elif layout == "reference":
        assert b"Firmware: %d.%d\x00" + hw.encode() + b"\x00" in image
    else:
        assert b"Firmware: %d.%d\x00" + hw.encode() not in image and standalone in image


def test_layouts_move_the_string():
    places = {imagegen.firmware("410", "5.03", "release5", seed=s).find(b"\x00410\x00") for s in range(4)}
    assert len(places) > 1


def test_merged_layout_needs_fw5():
    with pytest.raises(ValueError, match="layout"):
        imagegen.firmware("410", "3.40", "small", layout="merged")


@pytest.mark.parametrize("version,size", [("6.05", "release5"), ("5.03", "release6"), ("3.40", "release5")])
def test_release_size_must_match_generation(version, size):
    with pytest.raises(ValueError, match="release layout"):
        imagegen.firmware("410", version, size)


def test_bad_version_text():
    with pytest.raises(ValueError, match="two minor digits"):
        imagegen.firmware("410", "6.0")


def test_image_module_identifies_generated_firmware():
    info = identify(imagegen.firmware("60", "6.05", "release6"))
    assert (info.kind, info.hw, info.version) == ("firmware", "60", "6.05")


@pytest.mark.parametrize("compression,lo,hi", [(True, 5200, 5800), (False, 3700, 4300)])
def test_bootloader_layout_and_identity(compression, lo, hi):
    image = imagegen.bootloader(compression=compression)
    assert lo <= len(image) < hi
    sp, reset = words(image, 2)
    assert sp == 0x20000800 and reset & 1 and 0x080E0000 < reset < 0x080E0000 + len(image)
    assert find_hw_name(image) is None
    info = identify_bootloader(image + b"\xff" * (0x20000 - len(image)))  # a sector-11 readback
    assert info is not None and info.compression is compression and info.size == len(image)


def test_bootloader_with_overwritten_start_is_not_recognised():
    image = bytearray(imagegen.bootloader())
    image[:0x100] = imagegen.garbage(0x100)
    assert parse_marker(bytes(image)) is None and identify_bootloader(bytes(image)) is None


def test_update_buffer_header():
    fw5 = imagegen.firmware("410", "5.03", "release5")
    buf = imagegen.update_buffer(fw5)
    assert struct.unpack(">IH", buf[:6]) == (len(fw5), crc16_xmodem(fw5)) and buf[6:] == fw5
    buf6 = imagegen.update_buffer(imagegen.firmware("410", "6.05", "release6"))
    size_word, crc = struct.unpack(">IH", buf6[:6])
    assert size_word >> 24 == 0xCC and size_word & 0xFFFFFF == len(buf6) - 6 and crc == crc16_xmodem(buf6[6:])
    assert len(buf6) <= 3 * 128 * 1024


def test_other_app_is_runnable_and_not_vesc():
    image = imagegen.other_app()
    sp, reset = words(image, 2)
    assert sp == 0x20020000 and reset & 1 and 0x08000000 < reset < 0x08000000 + len(image)
    assert find_hw_name(image) is None and parse_marker(image) is None


def test_marker_round_trip_and_rejects():
    props = dict(kind="bootloader", version="5.03", size=393208, compression=False, name="x y", date="2022-01-18")
    marker = make_marker(**props)
    assert marker.startswith(MAGIC) and marker.endswith(b"\x00")
    assert parse_marker(b"\x12\x34" + marker + b"\xff\xff") == props
    assert parse_marker(b"no marker here") is None
    assert parse_marker(MAGIC + b"kind=firmware") is None  # no NUL: truncated
    assert parse_marker(MAGIC + b"size=abc\x00") is None
    assert parse_marker(MAGIC + b"\x00") == {}
    for bad in ({"compression": "yes"}, {"size": True}, {"name": "a;b"}, {"Bad": "x"}):
        with pytest.raises(ValueError):
            make_marker(**bad)
