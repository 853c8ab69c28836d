"""The bench's VESC serial side through real pyserial (its socket port, on any OS): replies, silence, and the
refusals of the host's pyserial backend: EACCES, EBUSY, a held exclusive lock, Windows' "Access is denied"."""
from __future__ import annotations

import errno
import sys
import time
from pathlib import Path

import pytest
import serial

from vescdoctor.protocol import packet
from vescdoctor.protocol.commands import (
    Command,
    fw_version_request,
    get_values_request,
    parse_fw_version,
    parse_get_values,
    parse_print,
    terminal_request,
)
from vescdoctor.sim.boot import VescIdentity
from vescdoctor.sim.vesc_serial import VescSerialPort

UUID = bytes.fromhex("2f0035000d47333034363934")


def _exchange(port: serial.Serial, request: bytes, expect: int = 1, timeout: float = 2.0) -> list[bytes]:
    port.write(packet.encode(request))
    decoder, out = packet.Decoder(), []
    deadline = time.monotonic() + timeout
    while len(out) < expect and time.monotonic() < deadline:
        out += decoder.feed(port.read(port.in_waiting or 1))
    return out


@pytest.fixture
def board_state():
    return {"ident": VescIdentity("410", 5, 3, UUID), "error": None}


@pytest.fixture
def vesc_port(board_state):
    with VescSerialPort(lambda: board_state["ident"], lambda: board_state["error"]) as port:
        yield port


@pytest.mark.parametrize("platform, device", [("linux", "/dev/ttyACM"), ("darwin", "/dev/cu.usbmodem"),
                                              ("win32", "COM")])
def test_the_port_is_named_as_the_host_names_a_cdc_port(board_state, monkeypatch, platform, device):
    monkeypatch.setattr(sys, "platform", platform)
    with VescSerialPort(lambda: board_state["ident"]) as vesc_port:
        assert vesc_port.device.startswith(device) and vesc_port.url == f"vescsim://{vesc_port.device}"
        with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:
            assert port.is_open and _exchange(port, fw_version_request())


def test_no_unix_only_module_serves_the_port():
    import vescdoctor.sim.serial_url.protocol_vescsim as handler
    import vescdoctor.sim.vesc_serial as module
    for source in (module, handler):
        text = Path(source.__file__).read_text()
        assert not any(f"import {name}" in text for name in ("tty", "pty", "termios", "fcntl")), source


def test_fw_version_of_a_5_03_board(vesc_port):
    with serial.serial_for_url(vesc_port.url, baudrate=115200, timeout=0.2, exclusive=True) as port:
        (reply,) = _exchange(port, fw_version_request())
    fw = parse_fw_version(reply)
    assert (fw.version, fw.hw_name, fw.uuid, fw.test_version, fw.hw_type) == ("5.03", "410", UUID, 0, "vesc")
    assert vesc_port.received == [Command.FW_VERSION]


@pytest.mark.parametrize("major, minor, has_pairing, has_hw_type, has_fw_name", [
    (3, 40, False, False, False), (3, 62, True, False, False), (5, 3, True, True, False), (6, 2, True, True, True),
])  # what the boot model's identity sends, read back through the pty and the length-tolerant parser
def test_fw_version_fields_follow_the_generation(board_state, vesc_port, major, minor, has_pairing, has_hw_type,
                                                 has_fw_name):
    board_state["ident"] = VescIdentity("60", major, minor, UUID)
    with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:
        (reply,) = _exchange(port, fw_version_request())
    fw = parse_fw_version(reply)
    assert (fw.major, fw.minor, fw.hw_name, fw.uuid) == (major, minor, "60", UUID)
    assert (fw.pairing_done is not None, fw.hw_type is not None, fw.fw_name is not None) == (
        has_pairing, has_hw_type, has_fw_name)


def test_get_values_reports_no_fault(vesc_port):
    with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:
        (reply,) = _exchange(port, get_values_request())
    values = parse_get_values(reply)
    assert values["fault_code"] == 0 and values["v_in"] > 0 and "status" in values


def test_terminal_faults_and_hw_status(vesc_port):
    with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:
        (faults,) = _exchange(port, terminal_request("faults"))
        status = _exchange(port, terminal_request("hw_status"), expect=5)
    assert parse_print(faults) == "No faults registered since startup\n"
    lines = [parse_print(p) for p in status]
    assert lines[:3] == ["Firmware: 5.3", "Hardware: 410", "UUID: 2F 00 35 00 0D 47 33 30 34 36 39 34"]


def test_commands_it_does_not_model_get_no_reply_and_never_touch_anything(vesc_port):
    with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:
        # COMM_ERASE_NEW_APP with a size, then COMM_ALIVE, then a question it does answer.
        port.write(packet.encode(bytes((Command.ERASE_NEW_APP, 0, 6, 0, 0))) + packet.encode(bytes((30,))))
        replies = _exchange(port, fw_version_request())
    assert [r[0] for r in replies] == [Command.FW_VERSION]
    assert vesc_port.received == [Command.ERASE_NEW_APP, 30, Command.FW_VERSION]


def test_port_stays_silent_when_no_vesc_firmware_runs(board_state, vesc_port):
    board_state["ident"] = None
    with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:
        assert _exchange(port, fw_version_request(), timeout=0.3) == []


def test_garbage_before_a_request_is_skipped(vesc_port):
    with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:
        port.write(b"\x02\x05\xff\x00AT\r\n")
        time.sleep(0.15)  # the line goes quiet: the firmware gives up the bogus frame
        (reply,) = _exchange(port, fw_version_request())
    assert parse_fw_version(reply).hw_name == "410"


def test_no_permission_fails_with_eacces_like_posix_serial(board_state, vesc_port):
    board_state["error"] = "EACCES"
    with pytest.raises(serial.SerialException) as info:
        serial.serial_for_url(vesc_port.url, timeout=0.2)
    assert info.value.errno == errno.EACCES
    assert info.value.args == (errno.EACCES, f"could not open port {vesc_port.device}: [Errno 13] Permission "
                                             f"denied: '{vesc_port.device}'")


def test_port_busy_fails_with_ebusy_like_posix_serial(board_state, vesc_port):
    board_state["error"] = "EBUSY"
    with pytest.raises(serial.SerialException) as info:
        serial.serial_for_url(vesc_port.url, timeout=0.2)
    assert info.value.errno == errno.EBUSY and "Device or resource busy" in str(info.value)


def test_a_stopped_port_is_gone_and_says_so_exactly_as_posix_serial(board_state, tmp_path):
    port = VescSerialPort(lambda: board_state["ident"]).start()
    url, device = port.url, port.device
    port.stop()
    with pytest.raises(serial.SerialException) as ours:
        serial.serial_for_url(url)
    missing = str(tmp_path / "ttyACM0")
    with pytest.raises(serial.SerialException) as real:
        serial.Serial(missing)
    assert ours.value.errno == real.value.errno == errno.ENOENT
    assert str(ours.value).replace(device, "PORT") == str(real.value).replace(missing, "PORT")


def test_an_exclusive_holder_refuses_a_second_open_as_flock_does(vesc_port):
    with serial.serial_for_url(vesc_port.url, timeout=0.2, exclusive=True):
        with pytest.raises(serial.SerialException) as info:
            serial.serial_for_url(vesc_port.url, timeout=0.2, exclusive=True)
    assert info.value.errno == errno.EAGAIN and info.value.args[1].startswith(
        f"Could not exclusively lock port {vesc_port.device}: [Errno 11]")
    with serial.serial_for_url(vesc_port.url, timeout=0.2) as port:  # the holder closed it: free again
        assert _exchange(port, fw_version_request())


@pytest.mark.parametrize("error", ["EBUSY", "EACCES", None])
def test_on_windows_a_held_port_is_access_denied_with_no_errno_as_serialwin32_says(board_state, monkeypatch, error):
    monkeypatch.setattr(sys, "platform", "win32")
    with VescSerialPort(lambda: board_state["ident"], lambda: board_state["error"]) as vesc_port:
        with serial.serial_for_url(vesc_port.url, timeout=0.2):  # VESC Tool has it open (no exclusive flag needed)
            board_state["error"] = error
            with pytest.raises(serial.SerialException) as info:
                serial.serial_for_url(vesc_port.url, timeout=0.2)
    # serialwin32.Serial.open: SerialException("could not open port {!r}: {!r}".format(port, ctypes.WinError()))
    assert info.value.errno is None
    assert str(info.value) == f"could not open port '{vesc_port.device}': PermissionError(13, 'Access is denied.', " \
                              "None, 5)"


def test_closing_the_port_from_the_bench_breaks_the_host_off(board_state):
    vesc_port = VescSerialPort(lambda: board_state["ident"]).start()
    port = serial.serial_for_url(vesc_port.url, timeout=0.2)
    vesc_port.stop()  # the board reset or was unplugged
    with pytest.raises(serial.SerialException):
        for _ in range(10):
            port.write(packet.encode(fw_version_request()))
            port.read(64)
    port.close()
