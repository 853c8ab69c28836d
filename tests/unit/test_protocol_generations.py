"""Issue 15: COMM_FW_VERSION and COMM_GET_VALUES parsed by remaining length as VESC Tool does (vesc_tool
commands.cpp), every field up to 7.00; fault codes 0-33 named per version; the bench answers as each generation."""
from __future__ import annotations

import pytest

from vescdoctor.protocol.commands import (
    FAULT_NAMES,
    VALUE_FIELDS,
    build_get_values,
    fault_name,
    get_values_fields,
    max_fault_code,
    parse_fw_version,
    parse_get_values,
)
from vescdoctor.sim.boot import VescIdentity
from vescdoctor.sim.vesc_serial import answer

UID = bytes(range(12))


def test_503_reply_carries_phase_filters_and_qml_flags():
    fw = parse_fw_version(VescIdentity("410", 5, 3, UID, phase_filters=1, qmlui_hw=2, qmlui_app=1).version_reply())
    assert (fw.has_phase_filters, fw.qml_hw, fw.qml_app, fw.nrf_flags, fw.fw_name) == (True, 2, 1, None, None)


def test_605_and_700_replies_carry_the_hw_config_crc():
    fw = parse_fw_version(VescIdentity("60", 7, 0, UID, fw_name="custom", hw_config_crc=0xDEADBEEF).version_reply())
    assert (fw.fw_name, fw.hw_config_crc, fw.extra) == ("custom", 0xDEADBEEF, b"")
    assert parse_fw_version(VescIdentity("60", 6, 2, UID).version_reply()).hw_config_crc is None


def test_fields_are_read_by_length_not_by_version():
    # a 3.x major with 6.x fields (a fork): VESC Tool reads them all, so do we
    reply = b"\x00\x03\x40HW\x00" + UID + bytes([1, 0, 0, 0, 1, 1, 0, 3]) + b"fw\x00" + b"\x00\x00\x00\x07"
    fw = parse_fw_version(reply)
    assert (fw.has_phase_filters, fw.nrf_flags, fw.fw_name, fw.hw_config_crc) == (True, 3, "fw", 7)
    half_qml = parse_fw_version(b"\x00\x05\x03HW\x00" + UID + bytes([0, 0, 0, 0, 0, 2]))
    assert half_qml.qml_hw is None and half_qml.nrf_flags == 2  # both QML flags or neither; the byte left: nrf


@pytest.mark.parametrize("version,count", [((3, 40), 18), ((3, 48), 21), ((4, 2), 23), ((5, 2), 23), ((5, 3), 24),
                                           ((7, 0), 24)])
def test_get_values_per_generation_round_trips(version, count):
    assert get_values_fields(version) == count
    values = parse_get_values(build_get_values({"v_in": 40.0, "temp_mos2": 30.0, "status": 1}, count))
    assert list(values) == [name for name, _, _ in VALUE_FIELDS[:count]]


def test_get_values_groups_need_all_their_bytes():
    reply = build_get_values({"vd": 1.0}, 21) + b"\x00\x00\x03\xe8"  # vd but not vq: 4 bytes, the group needs 8
    values = parse_get_values(reply)
    assert "vd" not in values and "vq" not in values and "status" in values  # VESC Tool reads 1 byte as status


def test_fault_codes_0_to_33_named_and_version_aware():
    assert len(FAULT_NAMES) == 34
    assert [FAULT_NAMES[c] for c in (30, 31, 32, 33)] == ["FAULT_CODE_ENCODER_SLIP", "FAULT_CODE_OVERSPEED",
                                                          "FAULT_CODE_UNDERSPEED", "FAULT_CODE_ABS_OVERSPEED"]
    assert (max_fault_code("5.03"), max_fault_code("6.06"), max_fault_code("7.00"), max_fault_code("3.40")) == \
        (26, 29, 33, None)
    assert fault_name(31, "7.00") == "FAULT_CODE_OVERSPEED"
    assert fault_name(31, "6.05") == "FAULT_CODE_OVERSPEED (not defined in FW 6.05)"


@pytest.mark.parametrize("major,minor", [(3, 40), (4, 2), (5, 3), (6, 5), (7, 0)])
def test_bench_answers_as_each_generation(major, minor):
    ident = VescIdentity("410", major, minor, UID)
    (reply,) = answer(ident, b"\x04")
    assert len(parse_get_values(reply)) == get_values_fields((major, minor))
    (version,) = answer(ident, b"\x00")
    fw = parse_fw_version(version)
    assert fw.version == f"{major}.{minor:02d}"
    assert (fw.hw_config_crc is not None) == ((major, minor) >= (6, 5))
    assert (fw.has_phase_filters is not None) == ((major, minor) >= (5, 3))
