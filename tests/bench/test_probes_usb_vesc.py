"""The usb.scan and vesc.query probes against simulated boards, through real pyusb and pyserial."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from vescdoctor.environment import Environment, HostEnvironment, sim_environment
from vescdoctor.knowledge.flash import BOOTLOADER_BASE, FLASH_BASE, FLASH_SIZE
from vescdoctor.probes import usb as usb_probe  # noqa: F401  (registers usb.scan)
from vescdoctor.probes import vesc as vesc_probe  # noqa: F401  (registers vesc.query)
from vescdoctor.probes.base import REGISTRY, ProbeContext, run_probe
from vescdoctor.protocol.commands import SAFE_COMMANDS
from vescdoctor.sim import boot, imagegen
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig

from testdata import FIRMWARE_DIR, needs_firmware


def make_board(tmp_path, flash=None, **config) -> Board:
    return Board.create(tmp_path / "board", BoardConfig(**config), flash if flash is not None else bytes(FLASH_SIZE))


def healthy_flash(hw="410", version="5.03") -> bytearray:
    flash = bytearray(b"\xff" * FLASH_SIZE)
    fw = imagegen.firmware(hw, version, "small")
    flash[:len(fw)] = fw
    bl = imagegen.bootloader()
    flash[BOOTLOADER_BASE - FLASH_BASE:BOOTLOADER_BASE - FLASH_BASE + len(bl)] = bl
    return flash


@pytest.fixture
def env_for(tmp_path):
    made = []

    def make(flash=None, **config) -> Environment:
        board = make_board(tmp_path, flash if flash is not None else healthy_flash(), **config)
        env = sim_environment(board.path)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()


def run(name: str, env: Environment):
    result = run_probe(name, ProbeContext(env=env, facts={}, answers={}))
    json.dumps(result.facts)  # facts go into reports
    return result


# --- usb.scan --------------------------------------------------------------------------------------------------

def test_usb_scan_healthy_board(env_for):
    env = env_for()
    result = run("usb.scan", env)
    f = result.facts
    assert f["usb.backend_ok"] and f["usb.vesc_present"] and f["usb.vesc_count"] == 1
    assert f["usb.vesc_port"].startswith("vescsim://") and f["usb.vesc_usb_serial"] == "304"
    assert f["usb.dfu_present"] is False
    (stlink,) = f["usb.debug_probes"]
    assert (stlink["kind"], stlink["name"], stlink["vid"], stlink["pid"]) == ("stlink-v2", "ST-Link/V2", "0483",
                                                                             "3748")
    assert stlink["serial"] and f["usb.debug_probe_present"] is True
    assert f["usb.host_issues"] is None and f["usb.port_holders"] is None  # real-host checks: not on the bench
    assert f"USB: VESC (0483:5740) on {f['usb.vesc_port']}" in result.transcript
    assert f"USB: debug probe ST-Link/V2 (0483:3748), serial {stlink['serial']}" in result.transcript


@pytest.mark.parametrize("usb_cable", ["charge-only", "unplugged"])
def test_usb_scan_no_vesc_without_a_data_cable(env_for, usb_cable):
    f = run("usb.scan", env_for(usb=usb_cable)).facts
    assert f["usb.vesc_present"] is False and f["usb.vesc_port"] is None and f["usb.serial_ports"] == []
    assert f["usb.debug_probe_present"] is True


def test_usb_scan_dfu_mode_and_no_probe(env_for):
    result = run("usb.scan", env_for(boot0="high", probe="none"))
    f = result.facts
    assert f["usb.dfu_present"] is True and f["usb.vesc_present"] is False
    assert f["usb.debug_probes"] == [] and f["usb.debug_probe_present"] is False
    assert "USB: no debug probe (ST-Link or CMSIS-DAP) found" in result.transcript


def test_usb_scan_blank_chip_shows_no_vesc(env_for):
    f = run("usb.scan", env_for(flash=b"\xff" * FLASH_SIZE, probe="cmsis-dap")).facts
    assert f["usb.vesc_present"] is False
    assert [p["kind"] for p in f["usb.debug_probes"]] == ["cmsis-dap"]


def test_serial_ports_follow_what_the_board_runs_now(env_for):
    env = env_for()
    assert len(env.serial_ports()) == 1
    env.bench.set_power(False)
    assert env.serial_ports() == []
    env.bench.set_power(True)
    assert len(env.serial_ports()) == 1
    env.bench.board.flash[:8] = b"\xff" * 8  # the app's vector table erased (as a fix would), then a power cycle
    env.bench.set_power(False)
    env.bench.set_power(True)
    assert env.serial_ports() == []


# --- vesc.query ------------------------------------------------------------------------------------------------

def test_vesc_query_healthy_board(env_for):
    env = env_for()
    result = run("vesc.query", env)
    f = result.facts
    assert f["vesc.port_open"] is True and f["vesc.open_error"] is None and f["vesc.answered"] is True
    assert (f["vesc.fw_version"], f["vesc.hw_name"], f["vesc.hw_type"]) == ("5.03", "410", "vesc")
    assert f["vesc.uuid"] == boot.unique_id(env.bench.board).hex()
    assert (f["vesc.fault_code"], f["vesc.fault_name"]) == (0, "FAULT_CODE_NONE")
    assert f["vesc.faults_logged"] is False and "No faults registered" in f["vesc.faults_text"]
    assert result.transcript[0] == "VESC replied: FW 5.03, HW 410"


def test_vesc_query_sends_only_read_only_commands(env_for):
    env = env_for()
    run("vesc.query", env)
    received = env._vesc_port.received
    assert received and set(received) <= SAFE_COMMANDS


def test_vesc_query_firmware_for_other_hardware_answers_with_its_own_name(env_for):
    f = run("vesc.query", env_for(flash=healthy_flash("60", "6.02"), hw="410")).facts
    assert (f["vesc.hw_name"], f["vesc.fw_version"], f["vesc.fw_name"]) == ("60", "6.02", "")


def test_vesc_query_permission_denied(env_for):
    result = run("vesc.query", env_for(host="no-permission"))
    f = result.facts
    assert (f["vesc.port_open"], f["vesc.open_error"], f["vesc.answered"]) == (False, "permission", None)
    assert "Permission denied" in f["vesc.open_error_text"]
    assert result.transcript == [f"VESC: cannot open {f['vesc.port']}: permission denied"]


def test_vesc_query_port_busy(env_for):
    f = run("vesc.query", env_for(host="port-busy")).facts
    assert (f["vesc.port_open"], f["vesc.open_error"]) == (False, "busy")


def test_vesc_query_without_a_vesc_port_returns_at_once(env_for):
    env = env_for(usb="charge-only")
    result = run("vesc.query", env)
    assert all(value is None for value in result.facts.values())
    assert result.transcript == ["VESC: no VESC serial port to ask"]


def test_vesc_query_on_a_healthy_board_reads_the_reply_it_asked_for(env_for):
    f = run("vesc.query", env_for()).facts
    assert f["vesc.port_open"] is True and f["vesc.answered"] is True


def test_environment_close_releases_the_bench_and_stops_the_port(env_for):
    env = env_for()
    bench, url = env.bench, env.serial_ports()[0].device
    env.close()
    assert env.bench is None and bench._refs == 0 and bench.path not in Bench._registry
    import serial
    with pytest.raises(serial.SerialException):
        serial.serial_for_url(url)


def test_probes_declare_their_facts():
    assert set(REGISTRY["usb.scan"].provides) >= {"usb.vesc_present", "usb.vesc_port", "usb.dfu_present",
                                                  "usb.debug_probes", "usb.host_issues"}
    assert set(REGISTRY["vesc.query"].provides) >= {"vesc.port_open", "vesc.open_error", "vesc.answered",
                                                    "vesc.hw_name", "vesc.fw_version", "vesc.fault_code"}


# --- real firmware images ---------------------------------------------------------------------------------------

@needs_firmware
@pytest.mark.parametrize("image, hw, version", [("fw_410_2022-01.bin", "410", "5.03"),
                                                 ("fw_60_2022-01.bin", "60", "5.03"),
                                                 ("fw_410_2018-07.bin", "410", "3.40")])
def test_vesc_query_on_real_release_images(tmp_path, image, hw, version):
    flash = bytearray(b"\xff" * FLASH_SIZE)
    data = (FIRMWARE_DIR / image).read_bytes()
    flash[:len(data)] = data
    board = make_board(tmp_path, flash, hw=hw)
    boot.power_on_reset(board)  # first boot: the firmware writes its CRC words
    board.save()
    with sim_environment(board.path) as env:
        f = run("vesc.query", env).facts
    assert (f["vesc.hw_name"], f["vesc.fw_version"], f["vesc.answered"]) == (hw, version, True)


# --- a port held by another program, a silent firmware --------------------------------------------------------

def test_vesc_query_port_locked_by_another_program(env_for):
    env = env_for()
    device = env.serial_ports()[0].device
    with env.open_serial(device, exclusive=True):  # as VESC Tool holds it
        f = run("vesc.query", env).facts
    assert (f["vesc.port_open"], f["vesc.open_error"]) == (False, "busy")
    assert "exclusively lock" in f["vesc.open_error_text"]


class _SilentFirmwareEnv:
    """A VESC port that enumerates but whose firmware never answers (e.g. another program eats the replies)."""

    is_sim, usb_backend = True, None

    def __init__(self):
        from serial.tools.list_ports_common import ListPortInfo

        from vescdoctor.sim.vesc_serial import VescSerialPort
        self.port = VescSerialPort(lambda: None).start()
        self.info = ListPortInfo(self.port.url, skip_link_detection=True)
        self.info.vid, self.info.pid = 0x0483, 0x5740

    def serial_ports(self):
        return [self.info]

    def open_serial(self, device, **kw):
        import serial
        return serial.serial_for_url(device, **kw)


def test_vesc_query_port_opens_but_nothing_answers(monkeypatch):
    monkeypatch.setattr(vesc_probe, "REPLY_TIMEOUT", 0.1)
    env = _SilentFirmwareEnv()
    try:
        result = run("vesc.query", env)
    finally:
        env.port.stop()
    f = result.facts
    assert (f["vesc.port_open"], f["vesc.open_error"], f["vesc.answered"], f["vesc.hw_name"]) == (
        True, None, False, None)
    assert result.transcript == [f"VESC: {env.port.url} opened but the firmware did not answer"]


# --- the real host's checks (this machine: Linux in CI) ---------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux host checks")
def test_usb_scan_on_a_real_host_runs_the_linux_checks(tmp_path):
    board = make_board(tmp_path, healthy_flash())
    bench = Bench.acquire(board.path)
    # This machine's serial ports and /proc, with the bench's USB so that no real USB is needed.
    try:
        with HostEnvironment(usb_backend=bench.usb_backend) as env:
            result = run("usb.scan", env)
    finally:
        bench.release()
    f = result.facts
    assert isinstance(f["usb.host_issues"], list) and isinstance(f["usb.modemmanager_running"], bool)
    if os.geteuid() == 0:
        assert f["usb.user_in_serial_group"] is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_port_holders_finds_another_process_holding_a_tty(tmp_path):
    from vescdoctor.probes.host import linux as linux_host
    master, slave = os.openpty()
    device = os.ttyname(slave)
    holder = subprocess.Popen([sys.executable, "-c", f"import os,sys,time; f=os.open({device!r}, os.O_RDWR); "
                               "print(flush=True); time.sleep(30)"], stdout=subprocess.PIPE)
    try:
        holder.stdout.readline()  # it has the tty open now
        holders = linux_host.port_holders(device)
    finally:
        holder.kill()
        holder.wait()
        os.close(master)
        os.close(slave)
    assert any(h["pid"] == holder.pid for h in holders)


def test_udev_rule_for_modemmanager_is_recognised(tmp_path):
    from vescdoctor.probes.host import linux as linux_host
    rules = tmp_path / "rules.d"
    rules.mkdir()
    assert linux_host.udev_modemmanager_ignore(0x0483, 0x5740, (str(rules),)) is False
    (rules / "99-vesc.rules").write_text('# VESC\nATTRS{idVendor}=="0483", ATTRS{idProduct}=="5740", '
                                         'ENV{ID_MM_DEVICE_IGNORE}="1"\n')
    assert linux_host.udev_modemmanager_ignore(0x0483, 0x5740, (str(rules),)) is True
    assert linux_host.udev_modemmanager_ignore(0x0483, 0x5740, (str(tmp_path / "none"),)) is None


def test_port_mode_and_access():
    from vescdoctor.probes.host import linux as linux_host
    assert linux_host.port_mode("/dev/null").startswith("crw-rw-rw-")
    assert linux_host.port_accessible("/dev/null") is True
    assert linux_host.port_accessible("/dev/ttyACM-none") is None
