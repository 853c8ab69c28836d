"""SWD through a simulated CMSIS-DAP v2 probe (a DAPLink): pyOCD's own CMSISDAPProbe, DAPAccessCMSISDAP and PyUSBv2
(with its receive thread) over the bench's USB, down to the chip model. Checked as a user would: what pyOCD reports,
what board.yaml / flash.bin hold afterwards, and what `vescdoctor diagnose` concludes.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import usb.core
from pyocd.core import exceptions
from pyocd.core.target import Target
from pyocd.flash.file_programmer import FileProgrammer
from pyocd.probe.cmsis_dap_probe import CMSISDAPProbe
from pyocd.probe.pydapaccess.dap_access_cmsis_dap import DAPAccessCMSISDAP

from vescdoctor.cli import main
from vescdoctor.knowledge.flash import FLASH_SIZE
from vescdoctor.sim import boot, imagegen
from vescdoctor.sim import cmsis_dap as D
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig, OptionBytes
from vescdoctor.sim.environment import BENCH_PYOCD_OPTIONS
from vescdoctor.target.chip_id import read_chip_identity
from vescdoctor.target.option_bytes import read_option_bytes
from vescdoctor.target.session import SwdConnectError, open_session, read_target_voltage

ERASED = b"\xff" * FLASH_SIZE
APP_BASE, BOOT_BASE = 0x08000000, 0x080E0000
DAPLINK = (0x0D28, 0x0204)


def make_board(path: Path, flash: bytes | bytearray = ERASED, **fields) -> Path:
    Board.create(path, BoardConfig(probe="cmsis-dap", **fields), flash)
    return path


def flash_with(*parts: tuple[int, bytes]) -> bytearray:
    flash = bytearray(ERASED)
    for addr, data in parts:
        flash[addr - APP_BASE:addr - APP_BASE + len(data)] = data
    return flash


def pattern(size: int, seed: int) -> bytes:
    return bytes((i * 7 + seed) & 0xFF for i in range(size))


def session_on(board: Path, **options):
    return open_session(f"vescsim:{board}", **{**BENCH_PYOCD_OPTIONS, **options})


class Held:
    """The board's in-process Bench, held while a session is open (to look at the emulator)."""

    def __init__(self, board: Path):
        self.bench = Bench.acquire(board)

    def __enter__(self) -> Bench:
        return self.bench

    def __exit__(self, *exc) -> None:
        self.bench.release()


@pytest.fixture
def board(tmp_path: Path) -> Path:
    return make_board(tmp_path / "board")


# -- identity and connecting ------------------------------------------------------------------------------------------

def test_pyocd_sees_a_daplink_and_an_stm32f405(board: Path):
    with session_on(board) as session:
        probe, link = session.probe, session.probe._link
        assert isinstance(probe, CMSISDAPProbe) and isinstance(link, DAPAccessCMSISDAP)
        assert link.vidpid == DAPLINK and (link.vendor_name, link.product_name) == ("ARM", "DAPLink CMSIS-DAP")
        assert link.protocol_version == (2, 1, 0) and link.firmware_version == "0257"
        assert link._interface.is_bulk and link._packet_size == 64 and link._packet_count == 4
        assert probe.wire_protocol is probe.Protocol.SWD and probe.unique_id == str(board.resolve())
        assert probe.description.startswith("ARM DAPLink CMSIS-DAP (vescsim ")
        ident = read_chip_identity(session.target)
        assert ident.idcode == 0x10076413 and ident.cpuid == 0x410FC241 and ident.flash_kib == 1024
        assert ident.uid == boot.unique_id(Board.load(board))
        assert session.target.get_state() == Target.State.HALTED
        assert read_target_voltage(session) is None  # CMSIS-DAP has no target voltage command
        with Held(board) as bench:
            assert bench.cmsis_dap.commands["transfer"] > 0 and bench.usb_backend.transfers["bulk_in"] > 0
    assert [t.name for t in threading.enumerate() if t.name.startswith("CMSIS-DAPv2 receive")] == []


@pytest.mark.parametrize("mode, state", [("halt", Target.State.HALTED), ("under-reset", Target.State.HALTED),
                                         ("attach", Target.State.LOCKUP)])
def test_connect_modes(board: Path, mode: str, state: Target.State):
    with session_on(board, connect_mode=mode, resume_on_disconnect=False) as session:
        assert session.target.get_state() == state
        assert read_chip_identity(session.target).flash_kib == 1024


def test_needs_reset_answers_only_under_reset_with_nrst_wired(tmp_path: Path):
    board = make_board(tmp_path / "b", swd="needs-reset")
    with pytest.raises(SwdConnectError, match="No ACK"):
        session_on(board, connect_mode="attach")
    with session_on(board, connect_mode="under-reset") as session:  # DAP_SWJ_Pins holds nRESET low
        assert session.target.get_state() == Target.State.HALTED
        assert read_chip_identity(session.target).idcode == 0x10076413
    unwired = make_board(tmp_path / "unwired", swd="needs-reset", nrst_wired=False)
    with pytest.raises(SwdConnectError):
        session_on(unwired, connect_mode="under-reset")


@pytest.mark.parametrize("fields", [{"swd": "miswired"}, {"power": "off"}], ids=["miswired", "unpowered"])
def test_silent_target_fails_with_no_ack_and_no_voltage(tmp_path: Path, fields: dict):
    board = make_board(tmp_path / "b", **fields)
    for mode in ("halt", "under-reset"):
        with pytest.raises(SwdConnectError, match="No ACK") as info:
            session_on(board, connect_mode=mode)
        assert info.value.target_voltage is None  # unpowered and miswired look the same through CMSIS-DAP
    with Held(board) as bench:  # the probe itself stays on USB
        assert [(d.idVendor, d.idProduct) for d in usb.core.find(find_all=True, backend=bench.usb_backend)] \
            == [DAPLINK]


# -- flash, option bytes, protection -----------------------------------------------------------------------------------

def test_bootloader_and_firmware_through_file_programmer(tmp_path: Path):
    config_sector = pattern(0x4000, 9)
    board = make_board(tmp_path / "b", flash_with((0x08004000, config_sector)))
    boot_image, firmware = tmp_path / "boot.bin", tmp_path / "fw.bin"
    boot_image.write_bytes(imagegen.bootloader())
    firmware.write_bytes(pattern(0x3000, 5))
    with session_on(board) as session, Held(board) as bench:
        for path, base in ((boot_image, BOOT_BASE), (firmware, APP_BASE)):
            session.target.reset_and_halt()
            FileProgrammer(session, chip_erase="sector").program(str(path), base_address=base, file_format="bin")
        assert bench.cmsis_dap.commands["transfer_block"] > 0
    flash = (board / "flash.bin").read_bytes()
    boot_bytes = boot_image.read_bytes()
    assert flash[BOOT_BASE - APP_BASE:BOOT_BASE - APP_BASE + len(boot_bytes)] == boot_bytes
    assert flash[:0x3000] == firmware.read_bytes() and flash[0x3000:0x4000] == b"\xff" * 0x1000
    assert flash[0x4000:0x8000] == config_sector  # sector 1 untouched: sector erase only
    # pyOCD's F412 algorithm erases with PSIZE x8: 0.4 s a 16K sector, 2 s a 128K one (DS8626, typ)
    assert Board.load(board).config.chip_seconds == pytest.approx(
        0.4 + 2.0 + (len(boot_bytes) + 0x3000) / 4 * 16e-6, rel=0.01)


def test_option_bytes_read(tmp_path: Path):
    board = make_board(tmp_path / "b", option_bytes=OptionBytes(wrp=[11], bor=1))
    with session_on(board) as session:
        state = read_option_bytes(session.target)
        assert state.rdp_level == 0 and state.wrp_sectors == [11] and state.bor_level == 1
        assert not session.target.is_locked()


def test_rdp1_flash_read_is_a_fault_ack_and_the_link_recovers(tmp_path: Path):
    board = make_board(tmp_path / "b", flash_with((APP_BASE, pattern(256, 1))), option_bytes=OptionBytes(rdp=0x55))
    with session_on(board) as session:
        target = session.target
        assert target.is_locked() and read_option_bytes(target).rdp_level == 1
        with pytest.raises(exceptions.TransferFaultError):
            target.read32(APP_BASE)
        with pytest.raises(exceptions.TransferFaultError):
            target.read_memory_block32(APP_BASE, 64)
        # pyOCD cleared the sticky error with ABORT: system memory reads again.
        assert read_chip_identity(target).flash_kib == 1024


# -- injected faults --------------------------------------------------------------------------------------------------

def test_probe_unplug_stops_programming_and_is_one_shot(tmp_path: Path):
    board = make_board(tmp_path / "b", faults={"probe_unplug_after_bytes": 0x2000})
    firmware = tmp_path / "fw.bin"
    firmware.write_bytes(pattern(0x8000, 3))
    session = session_on(board)
    session.target.reset_and_halt()
    # A vanished CMSIS-DAP surfaces as pyOCD's ProbeError, or as libusb's "no device" when a write comes first.
    with pytest.raises((exceptions.Error, usb.core.USBError)):
        FileProgrammer(session, chip_erase="sector").program(str(firmware), base_address=APP_BASE,
                                                             file_format="bin")
    with pytest.raises(usb.core.USBError):
        session.close()  # pyOCD's disconnect talks to the vanished probe ...
    session.probe.close()  # ... so the probe (and the bench) is released by hand, as SwdLink.close leaves it
    flash = (board / "flash.bin").read_bytes()
    written = next(i for i in range(0, 0x8000, 4) if flash[i:i + 4] != firmware.read_bytes()[i:i + 4])
    assert 0x2000 <= written < 0x8000
    assert "probe_unplug_after_bytes" not in Board.load(board).config.faults
    with session_on(board) as session:  # replugged: works again
        assert read_chip_identity(session.target).flash_kib == 1024


def test_power_loss_mid_erase_leaves_the_probe_answering_no_ack(tmp_path: Path):
    old = pattern(0xC000, 4)
    board = make_board(tmp_path / "b", flash_with((APP_BASE, old)), faults={"power_loss_after_erases": 2})
    firmware = tmp_path / "fw.bin"
    firmware.write_bytes(pattern(0xC000, 8))
    session = session_on(board)
    session.target.reset_and_halt()
    with pytest.raises(exceptions.Error):
        FileProgrammer(session, chip_erase="sector", smart_flash=False).program(
            str(firmware), base_address=APP_BASE, file_format="bin")
    session.close()
    assert Board.load(board).config.power == "off"
    assert (board / "flash.bin").read_bytes()[0x8000:0xC000] == old[0x8000:0xC000]  # third sector never erased
    with pytest.raises(SwdConnectError, match="No ACK"):
        session_on(board)


def test_swd_error_rate_makes_transfers_fail_once(board: Path):
    with session_on(board) as session, Held(board) as bench:
        bench.board.config.faults["swd_error_rate"] = 0.2
        failures = 0
        try:
            for _ in range(50):
                try:
                    assert session.target.read32(0x1FFF7A20) >> 16 == 1024
                except exceptions.TransferError:
                    failures += 1
        finally:
            bench.board.config.faults.clear()
        assert 2 <= failures <= 25
        assert read_chip_identity(session.target).flash_kib == 1024


def test_a_busy_ap_answers_wait_and_pyocd_aborts(board: Path):
    with session_on(board) as session, Held(board) as bench:
        dap = bench.cmsis_dap
        dap.stall_transfers = 10  # fewer than the probe's retries: nobody notices
        assert session.target.read32(0x1FFF7A20) >> 16 == 1024
        dap.stall_transfers = dap.wait_retry + 5  # more: the probe gives up with WAIT
        with pytest.raises(exceptions.TransferTimeoutError):
            session.target.read32(0x1FFF7A20)
        dap.stall_transfers = 0
        assert session.target.read32(0x1FFF7A20) >> 16 == 1024


# -- the protocol, packet by packet (what pyOCD does not use) ----------------------------------------------------------

def transfer(requests: list[tuple[int, int | None]]) -> bytes:
    body = b"".join(bytes([r]) + (struct.pack("<I", v) if v is not None else b"") for r, v in requests)
    return bytes([D.DAP_TRANSFER, 0, len(requests)]) + body


def test_protocol_details(board: Path):
    with Held(board) as bench:
        dap = bench.cmsis_dap
        assert dap.execute(bytes([D.DAP_INFO, D.INFO_SER_NUM])) == \
            bytes([0, len(bench.probe_serial) + 1]) + bench.probe_serial.encode() + b"\0"
        assert dap.execute(bytes([D.DAP_INFO, D.INFO_CAPABILITIES])) == bytes([0, 1, D.CAP_SWD])
        idr = transfer([(D.REQ_RNW, None)])  # DP read of DPIDR
        assert dap.execute(idr) == bytes([D.DAP_TRANSFER, 0, 0])  # not connected: nothing on the wire
        assert dap.execute(bytes([D.DAP_CONNECT, 0])) == bytes([D.DAP_CONNECT, D.PORT_SWD])
        assert dap.execute(idr) == bytes([D.DAP_TRANSFER, 1, D.ACK_OK]) + struct.pack("<I", 0x2BA01477)
        # Value match: mask 0x0000FFFF, DPIDR low half 0x1477 matches, 0x1234 does not.
        match = transfer([(D.REQ_MATCH_MASK, 0xFFFF), (D.REQ_RNW | D.REQ_VALUE_MATCH, 0x1477)])
        assert dap.execute(match) == bytes([D.DAP_TRANSFER, 2, D.ACK_OK])
        miss = transfer([(D.REQ_RNW | D.REQ_VALUE_MATCH, 0x1234), (D.REQ_RNW, None)])
        assert dap.execute(miss) == bytes([D.DAP_TRANSFER, 0, D.ACK_OK | D.TRANSFER_MISMATCH])
        # DAP_ExecuteCommands runs several commands from one packet.
        both = bytes([D.DAP_EXECUTE_COMMANDS, 2, D.DAP_DELAY, 10, 0]) + idr
        assert dap.execute(both) == bytes([D.DAP_EXECUTE_COMMANDS, 2, D.DAP_DELAY, 0, D.DAP_TRANSFER, 1,
                                           D.ACK_OK]) + struct.pack("<I", 0x2BA01477)
        assert dap.execute(bytes([0x14, 1, 0])) == bytes([D.ID_DAP_INVALID])  # no JTAG on this probe
        # nRESET through DAP_SWJ_Pins: driven low, read back low, released.
        assert dap.execute(bytes([D.DAP_SWJ_PINS, 0, D.PIN_NRESET, 0, 0, 0, 0]))[1] & D.PIN_NRESET == 0
        assert bench.chip.nrst_low
        assert dap.execute(bytes([D.DAP_SWJ_PINS, D.PIN_NRESET, D.PIN_NRESET, 0, 0, 0, 0]))[1] & D.PIN_NRESET
        assert not bench.chip.nrst_low
        bench.chip.power_off()
        assert dap.execute(idr) == bytes([D.DAP_TRANSFER, 0, D.ACK_NONE])


def test_bulk_in_waits_for_the_answer_and_fails_when_unplugged(board: Path):
    with Held(board) as bench:
        device = usb.core.find(backend=bench.usb_backend, idVendor=DAPLINK[0])
        started = time.perf_counter()
        with pytest.raises(usb.core.USBTimeoutError):
            device.read(0x82, 64, timeout=30)
        assert time.perf_counter() - started >= 0.02  # the read waited for its timeout (a lower bound only)
        answers: list[bytes] = []
        reader = threading.Thread(target=lambda: answers.append(bytes(device.read(0x82, 64, timeout=5000))))
        reader.start()
        time.sleep(0.05)
        device.write(0x01, bytes([D.DAP_INFO, D.INFO_PACKET_SIZE]))
        reader.join(5)
        assert answers == [bytes([0, 2, 64, 0])]
        errors: list[Exception] = []

        def read_until_gone():
            try:
                device.read(0x82, 64, timeout=5000)
            except usb.core.USBError as exc:
                errors.append(exc)

        reader = threading.Thread(target=read_until_gone)
        reader.start()
        time.sleep(0.05)
        bench.chip.probe_unplug()
        reader.join(5)
        assert not reader.is_alive() and len(errors) == 1 and "No such device" in str(errors[0])


# -- pyocd's command line and vescdoctor diagnose ----------------------------------------------------------------------

@pytest.mark.slow
def test_pyocd_list_and_load_on_the_command_line(board: Path, tmp_path: Path):
    image = tmp_path / "boot.bin"
    image.write_bytes(imagegen.bootloader())
    env = dict(os.environ, VESCDOCTOR_SIM_BOARDS=str(board))
    listed = subprocess.run([sys.executable, "-m", "pyocd", "list"], capture_output=True, text=True, env=env,
                            timeout=60, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert str(board.resolve()) in listed.stdout and "DAPLink CMSIS-DAP" in listed.stdout
    loaded = subprocess.run([sys.executable, "-m", "pyocd", "load", "-u", f"vescsim:{board}", "-t", "stm32f405rg",
                             str(image), "--base-address", "0x080E0000", "-O", "reset.hold_time=0",
                             "-O", "reset.post_delay=0"], capture_output=True, text=True,
                            env=dict(env, VESCDOCTOR_SIM_BOARDS=""), timeout=60, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    data = image.read_bytes()
    assert (board / "flash.bin").read_bytes()[BOOT_BASE - APP_BASE:BOOT_BASE - APP_BASE + len(data)] == data


def sim_board(scenario: str, path: Path, capsys) -> Path:
    assert main(["sim", "create", scenario, str(path)]) == 0
    capsys.readouterr()
    yaml_path = path / "board.yaml"
    lines = yaml_path.read_text().splitlines()
    assert any(line.startswith("probe: ") for line in lines)
    yaml_path.write_text("\n".join("probe: cmsis-dap" if line.startswith("probe: ") else line for line in lines)
                         + "\n")
    assert Board.load(path).config.probe == "cmsis-dap"
    return path


@pytest.mark.slow
@pytest.mark.parametrize("scenario, answers, verdict, code", [
    ("healthy", [], "healthy", 0),
    ("app-erased", [], "app-missing", 1),
    # No voltage through CMSIS-DAP: no answer on SWD plus no LED lit (the owner's answer) says unpowered...
    ("target-unpowered", [], "target-unpowered", 3),
    # ...while a rider unsure of the LEDs gets the chip that does not answer (check power and wiring).
    ("target-unpowered", ["--answer", "led=unsure"], "swd-no-response", 3),
])
def test_diagnose_through_a_cmsis_dap_probe(tmp_path: Path, capsys, scenario: str, answers: list, verdict: str,
                                            code: int):
    board = sim_board(scenario, tmp_path / "B", capsys)
    assert main(["diagnose", "--sim", str(board), "--json", *answers]) == code
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"]["code"] == verdict, (report["findings"], report["path"])
    facts = report["facts"]
    assert facts["swd.probe_found"] is True and facts["swd.target_voltage"] is None
    assert facts["swd.connected"] is (verdict not in ("swd-no-response", "target-unpowered"))
