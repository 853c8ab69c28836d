"""The VESC packet codec and the reply parsers: round trips, fuzzed input, replies of several generations."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vescdoctor.protocol import packet
from vescdoctor.protocol.commands import (
    NEVER_SEND,
    SAFE_COMMANDS,
    Command,
    ReplyError,
    UnsafeCommand,
    build_get_values,
    fault_name,
    fw_version_request,
    get_values_request,
    get_values_selective_request,
    parse_fw_version,
    parse_get_values,
    parse_print,
    request,
    terminal_request,
)

UUID = bytes.fromhex("2f0035000d47333034363934")


def test_fw_version_request_is_the_documented_frame():
    assert packet.encode(fw_version_request()) == bytes.fromhex("020100000003")


def test_short_and_long_frames_round_trip():
    for size in (1, 2, 255, 256, 300, 512):
        payload = bytes(range(256)) * 2
        payload = payload[:size]
        frame = packet.encode(payload)
        assert frame[0] == (0x02 if size <= 255 else 0x03)
        assert packet.decode_all(frame) == [payload]


def test_encode_refuses_empty_and_oversized_payloads():
    with pytest.raises(ValueError):
        packet.encode(b"")
    with pytest.raises(ValueError):
        packet.encode(b"x" * 513)


def test_decoder_takes_bytes_one_at_a_time():
    frames = [b"\x00", b"\x04abc", b"\x15" + b"z" * 400]
    stream = b"".join(packet.encode(f) for f in frames)
    decoder = packet.Decoder()
    out = []
    for byte in stream:
        out += decoder.feed(bytes((byte,)))
    assert out == frames and decoder.pending() == 0


def test_decoder_resyncs_after_garbage_and_corrupt_frames():
    good = packet.encode(b"\x00\x05\x03410\x00")
    corrupt = bytearray(good)
    corrupt[4] ^= 0xFF  # payload byte changed: CRC no longer matches
    stream = b"\x03\x02garbage" + bytes(corrupt) + good + b"\x02\x00\x03" + good
    assert packet.decode_all(stream) == [good[2:-3]] * 2


def test_decoder_finds_a_frame_hidden_inside_a_bogus_candidate():
    good = packet.encode(b"\x00\x05\x03")
    # 0x02 0x09 announces 9 bytes; the real frame starts inside them and the candidate fails its CRC.
    assert packet.decode_all(b"\x02\x09" + good + b"\xAA" * 8) == [b"\x00\x05\x03"]


def test_expire_gives_up_a_long_candidate_that_never_completes():
    good = packet.encode(b"\x15hello")
    decoder = packet.Decoder()
    assert decoder.feed(b"\x03\x01\xF0" + good) == []  # waits for 496 payload bytes
    assert decoder.expire() == [b"\x15hello"]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2048))
def test_decoder_never_raises_and_only_returns_valid_payloads(data):
    decoder = packet.Decoder()
    out = decoder.feed(data) + decoder.expire()
    for payload in out:
        assert 1 <= len(payload) <= packet.MAX_PAYLOAD
        assert payload in data
    assert decoder.pending() <= packet.MAX_PAYLOAD + 6


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(min_size=1, max_size=512), st.binary(max_size=300))
def test_a_valid_frame_survives_any_noise_before_and_after(before, payload, after):
    decoder = packet.Decoder()
    out = decoder.feed(before)
    # Noise may hold an unfinished candidate; the line goes quiet before the real frame arrives.
    while decoder.pending():
        out += decoder.expire()
    out += decoder.feed(packet.encode(payload) + after)
    assert payload in out


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_parsers_raise_only_reply_error(data):
    for parse in (parse_fw_version, parse_get_values, parse_print):
        try:
            parse(data)
        except ReplyError:
            pass


# --- COMM_FW_VERSION of several generations ------------------------------------------------------------------

def test_fw_version_2_x_without_hw_name():
    fw = parse_fw_version(bytes((0, 2, 18)))
    assert (fw.version, fw.hw_name, fw.uuid) == ("2.18", None, None)


def test_fw_version_3_x_with_hw_name_no_uuid():
    fw = parse_fw_version(b"\x00\x03\x08" + b"410\0")
    assert (fw.major, fw.minor, fw.hw_name, fw.uuid, fw.pairing_done) == (3, 8, "410", None, None)


def test_fw_version_3_40_with_uuid_and_pairing():
    fw = parse_fw_version(b"\x00\x03\x28" + b"410\0" + UUID + b"\x00")
    assert fw.version == "3.40" and fw.uuid_hex == UUID.hex() and fw.pairing_done is False
    assert fw.test_version is None and fw.hw_type is None


def test_fw_version_5_03():
    reply = b"\x00\x05\x03" + b"410\0" + UUID + bytes((1, 0, 0, 0))
    fw = parse_fw_version(reply)
    assert (fw.version, fw.hw_name, fw.pairing_done, fw.test_version, fw.hw_type) == ("5.03", "410", True, 0, "vesc")
    assert fw.custom_config_count == 0 and fw.fw_name is None and fw.extra == b""


def test_fw_version_6_02_with_fw_name_and_future_bytes():
    reply = b"\x00\x06\x02" + b"60_MK6\0" + UUID + bytes((0, 3, 0, 1, 1, 0, 2, 0)) + b"Trampa\0" + b"\x07\x08"
    fw = parse_fw_version(reply)
    assert (fw.version, fw.hw_name, fw.test_version, fw.custom_config_count) == ("6.02", "60_MK6", 3, 1)
    assert (fw.has_phase_filters, fw.qml_hw, fw.qml_app, fw.nrf_flags) == (True, 0, 2, 0)
    assert fw.fw_name == "Trampa" and fw.extra == b"\x07\x08"


def test_fw_version_truncated_anywhere_still_parses():
    full = b"\x00\x06\x05" + b"75_300\0" + UUID + bytes((0, 0, 0, 0, 0, 0, 0, 0)) + b"\0"
    for cut in range(3, len(full) + 1):
        fw = parse_fw_version(full[:cut])
        assert fw.version == "6.05"
        if cut > 3:
            assert "75_300".startswith(fw.hw_name)


def test_fw_version_bms_hw_type_and_unknown_type():
    assert parse_fw_version(b"\x00\x05\x02" + b"BMS\0" + UUID + bytes((0, 0, 1))).hw_type == "bms"
    assert parse_fw_version(b"\x00\x05\x02" + b"X\0" + UUID + bytes((0, 0, 9))).hw_type == "unknown-9"


@pytest.mark.parametrize("major, minor", [(3, 40), (3, 62), (5, 0), (5, 3), (6, 0), (6, 5)])
def test_fw_version_parses_what_the_bench_firmware_sends(major, minor):
    from vescdoctor.sim.boot import VescIdentity
    ident = VescIdentity("60_MK6", major, minor, UUID, fw_name="")
    fw = parse_fw_version(ident.version_reply())
    assert (fw.major, fw.minor, fw.hw_name, fw.uuid, fw.extra) == (major, minor, "60_MK6", UUID, b"")
    assert (fw.pairing_done is not None) == ((major, minor) >= (3, 48))
    assert (fw.test_version is not None) == (major >= 5)
    assert (fw.hw_type == "vesc") == ((major, minor) >= (5, 2))
    assert (fw.fw_name == "") == (major >= 6)


def test_fw_version_rejects_other_commands_and_short_replies():
    with pytest.raises(ReplyError):
        parse_fw_version(b"\x04\x05\x03")
    with pytest.raises(ReplyError):
        parse_fw_version(b"\x00\x05")


# --- COMM_GET_VALUES, COMM_PRINT ------------------------------------------------------------------------------

def test_get_values_full_reply_and_fault_code():
    reply = build_get_values({"temp_fet": 31.4, "v_in": 42.1, "fault_code": 14, "rpm": -1200, "tachometer": 7})
    values = parse_get_values(reply)
    assert values["fault_code"] == 14 and fault_name(values["fault_code"]) == "FAULT_CODE_FLASH_CORRUPTION"
    assert values["temp_fet"] == pytest.approx(31.4) and values["v_in"] == pytest.approx(42.1)
    assert values["rpm"] == -1200 and values["tachometer"] == 7 and "status" in values


def test_get_values_stops_where_an_older_reply_ends():
    values = parse_get_values(build_get_values({"fault_code": 3}, fields=16))  # up to the fault code
    assert values["fault_code"] == 3 and "pid_pos" not in values
    assert "fault_code" not in parse_get_values(build_get_values({}, fields=15))


def test_print_text():
    assert parse_print(b"\x15No faults registered since startup\n") == "No faults registered since startup\n"


# --- the allow-list -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [1, 2, 3, 73, 81, 29])
def test_request_refuses_commands_that_write_erase_or_reboot(command):
    assert command in NEVER_SEND
    with pytest.raises(UnsafeCommand):
        request(command)


def test_request_refuses_every_command_outside_the_allow_list():
    for command in range(256):
        if command not in SAFE_COMMANDS:
            with pytest.raises(UnsafeCommand):
                request(command)


def test_terminal_commands_are_allow_listed_too():
    assert terminal_request("faults") == b"\x14faults"
    with pytest.raises(UnsafeCommand):
        terminal_request("foc_openloop 10 1000")
    with pytest.raises(UnsafeCommand):
        request(Command.TERMINAL_CMD, b"reboot")


def test_read_only_requests():
    assert get_values_request() == b"\x04"
    assert get_values_selective_request(1 << 15) == b"\x32\x00\x00\x80\x00"


def test_get_values_selective_round_trip():
    from vescdoctor.protocol.commands import build_get_values_selective, parse_get_values_selective
    mask = (1 << 15) | (1 << 18) | (1 << 8)
    values = parse_get_values_selective(build_get_values_selective({"fault_code": 5, "v_in": 50.2,
                                                                    "temp_mos2": 40.0}, mask))
    assert values == {"v_in": pytest.approx(50.2), "fault_code": 5, "temp_mos1": 0.0, "temp_mos2": 40.0,
                      "temp_mos3": 0.0}
