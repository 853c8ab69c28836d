"""The bench's SWD side through pyOCD's real code: Session, ST-Link, DP/AP, CortexM, flash algorithm, FileProgrammer.

Every test builds a board directory, talks to it through `open_session("vescsim:DIR")` and checks what a user would:
what pyOCD reports, and what board.yaml / flash.bin hold afterwards.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import usb.core
from pyocd.core import exceptions
from pyocd.core.target import Target
from pyocd.flash.file_programmer import FileProgrammer

from vescdoctor.knowledge.flash import FLASH_SIZE, SECTORS
from vescdoctor.sim import boot, imagegen
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig, OptionBytes
from vescdoctor.sim.environment import BENCH_PYOCD_OPTIONS
from vescdoctor.target import flash_regs as F
from vescdoctor.target.chip_id import read_chip_identity
from vescdoctor.target.option_bytes import read_option_bytes, write_option_bytes
from vescdoctor.target.session import ProbeNotFound, SwdConnectError, open_session, read_target_voltage

from testdata import real_image

ERASED = b"\xff" * FLASH_SIZE
BOOT_BASE, APP_BASE = 0x080E0000, 0x08000000


def make_board(path: Path, flash: bytes | bytearray = ERASED, **fields) -> Path:
    Board.create(path, BoardConfig(**fields), flash)
    return path


def flash_with(*parts: tuple[int, bytes]) -> bytearray:
    flash = bytearray(ERASED)
    for addr, data in parts:
        flash[addr - APP_BASE:addr - APP_BASE + len(data)] = data
    return flash


def read_flash(board: Path) -> bytes:
    return (board / "flash.bin").read_bytes()


def pattern(size: int, seed: int) -> bytes:
    return bytes((i * 7 + seed) & 0xFF for i in range(size))


@pytest.fixture
def board(tmp_path: Path) -> Path:
    return make_board(tmp_path / "board")


def session_on(board: Path, **options):
    return open_session(f"vescsim:{board}", **{**BENCH_PYOCD_OPTIONS, **options})


# -- identity, voltage, connect modes ---------------------------------------------------------------------------------

def test_identity_of_an_stm32f405(board: Path):
    with session_on(board) as session:
        ident = read_chip_identity(session.target)
        assert ident.idcode == 0x10076413 and ident.dev_id == 0x413 and ident.is_f405_family
        assert ident.cpuid == 0x410FC241 and ident.core == "Cortex-M4 r0p1"
        assert ident.flash_kib == 1024
        assert ident.uid == boot.unique_id(Board.load(board))
        assert session.target.part_number == "STM32F405RG"
        assert session.target.get_state() == Target.State.HALTED  # connect_mode halt
        assert read_target_voltage(session) == pytest.approx(3.3, abs=0.01)


def test_unpowered_target_fails_to_connect_and_reads_about_zero_volts(tmp_path: Path):
    board = make_board(tmp_path / "b", power="off")
    with pytest.raises(SwdConnectError) as info:
        session_on(board)
    assert info.value.target_voltage is not None and info.value.target_voltage < 0.1
    assert "Get IDCODE error" in str(info.value)
    # The probe itself is still on USB, with its real identity.
    bench = Bench.acquire(board)
    try:
        devices = list(usb.core.find(find_all=True, backend=bench.usb_backend))
        assert [(d.idVendor, d.idProduct, d.product) for d in devices] == [(0x0483, 0x3748, "STM32 STLink")]
    finally:
        bench.release()


@pytest.mark.parametrize("probe, pid, version", [("stlink-v2", 0x3748, "V2J46M7"), ("stlink-v2-1", 0x374B, "V2J46M32"),
                                                 ("stlink-v3", 0x374E, "V3J13S1M8B5")])
def test_each_stlink_model_connects(tmp_path: Path, probe: str, pid: int, version: str):
    board = make_board(tmp_path / "b", probe=probe)
    with session_on(board) as session:
        link = session.probe._link
        assert link.version_str == version
        assert session.probe._link._device._dev.idProduct == pid
        assert read_chip_identity(session.target).flash_kib == 1024


def test_no_probe_is_not_reachable_over_swd(tmp_path: Path):
    board = make_board(tmp_path / "none", probe="none")  # CMSIS-DAP boards: tests/test_bench_cmsis_dap.py
    with pytest.raises(ProbeNotFound):
        session_on(board)


@pytest.mark.parametrize("mode, state", [("halt", Target.State.HALTED), ("pre-reset", Target.State.HALTED),
                                         ("under-reset", Target.State.HALTED), ("attach", Target.State.LOCKUP)])
def test_connect_modes_on_a_blank_board(board: Path, mode: str, state: Target.State):
    # a blank F405 locks up on its first fetch (docs/bench.md, faults): attach finds it so
    with session_on(board, connect_mode=mode, resume_on_disconnect=False) as session:
        assert session.target.get_state() == state
        assert read_chip_identity(session.target).idcode == 0x10076413


def test_needs_reset_answers_only_under_reset_with_nrst_wired(tmp_path: Path):
    board = make_board(tmp_path / "b", swd="needs-reset")
    for mode in ("halt", "pre-reset", "attach"):
        with pytest.raises(SwdConnectError):
            session_on(board, connect_mode=mode)
    with session_on(board, connect_mode="under-reset") as session:
        assert session.target.get_state() == Target.State.HALTED
        assert read_chip_identity(session.target).flash_kib == 1024
    unwired = make_board(tmp_path / "unwired", swd="needs-reset", nrst_wired=False)
    with pytest.raises(SwdConnectError):
        session_on(unwired, connect_mode="under-reset")


@pytest.mark.parametrize("fields", [{"swd": "miswired"}, {"swd": "dead"},
                                    {"option_bytes": OptionBytes(rdp=0xCC)}])
def test_no_ack_in_any_mode(tmp_path: Path, fields: dict):
    board = make_board(tmp_path / "b", **fields)
    for mode in ("halt", "pre-reset", "under-reset", "attach"):
        with pytest.raises(SwdConnectError) as info:
            session_on(board, connect_mode=mode)
        assert info.value.target_voltage == pytest.approx(3.3, abs=0.01)


# -- option bytes, WRP, RDP -------------------------------------------------------------------------------------------

def test_option_bytes_read_and_write(board: Path):
    with session_on(board) as session:
        state = read_option_bytes(session.target)
        assert state.optcr == F.OPTCR_FACTORY and state.rdp_level == 0 and state.wrp_sectors == []
        assert state.bor_level == 3
        assert not session.target.is_locked()
        state = write_option_bytes(session.target, wrp_sectors=[11], bor=1)
        assert state.wrp_sectors == [11] and state.bor_level == 1
        with pytest.raises(ValueError):
            write_option_bytes(session.target, rdp=0xCC)  # level 2 needs allow_level2
    config = Board.load(board).config
    assert config.option_bytes.wrp == [11] and config.option_bytes.bor == 1


def test_write_protection_refuses_erase_and_program_with_wrperr(tmp_path: Path, boot_image: Path):
    flash = flash_with((BOOT_BASE, b"\x11" * 64))
    board = make_board(tmp_path / "b", flash, option_bytes=OptionBytes(wrp=[11]))
    with session_on(board) as session:
        session.target.reset_and_halt()
        with pytest.raises(exceptions.FlashFailure):
            FileProgrammer(session, chip_erase="sector").program(str(boot_image), base_address=BOOT_BASE,
                                                                 file_format="bin")
        with pytest.raises(exceptions.FlashEraseFailure, match="WRPERR"):
            session.target.mass_erase()
        # Register level: programming a word of sector 11 sets WRPERR and leaves the cell alone.
        target = session.target
        target.write32(F.KEYR, F.KEY1)
        target.write32(F.KEYR, F.KEY2)
        target.write32(F.SR, F.SR_ERRORS)
        target.write32(F.CR, F.CR_PG | F.PSIZE_X32)
        target.write32(BOOT_BASE, 0)
        assert target.read32(F.SR) & F.SR_WRPERR
        assert target.read32(BOOT_BASE) == 0x11111111
    assert read_flash(board) == bytes(flash)


def test_rdp1_blocks_flash_and_regression_mass_erases_after_reset(tmp_path: Path):
    flash = flash_with((APP_BASE, pattern(4096, 1)), (BOOT_BASE, pattern(256, 2)))
    board = make_board(tmp_path / "b", flash, option_bytes=OptionBytes(rdp=0x55))
    with session_on(board) as session:
        target = session.target
        assert target.is_locked()
        assert read_option_bytes(target).rdp_level == 1
        with pytest.raises(exceptions.TransferFaultError):
            target.read32(APP_BASE)
        assert read_chip_identity(target).flash_kib == 1024  # system memory stays readable
        write_option_bytes(target, rdp=0xAA)
        assert read_flash_now(board) == ERASED  # mass erase done when OPTSTRT completes ...
        with pytest.raises(exceptions.TransferFaultError):
            target.read32(APP_BASE)  # ... but the protection holds until the next reset
        target.reset_and_halt()
        assert not target.is_locked()
        assert target.read_memory_block8(APP_BASE, 16) == [0xFF] * 16
    assert Board.load(board).config.option_bytes.rdp == 0xAA
    assert read_flash(board) == ERASED


def read_flash_now(board: Path) -> bytes:
    """The flash the shared in-process Bench holds now (before anything is saved)."""
    bench = Bench.acquire(board)
    try:
        return bytes(bench.board.flash)
    finally:
        bench.release()


# -- programming ------------------------------------------------------------------------------------------------------

@pytest.fixture
def boot_image(tmp_path: Path) -> Path:
    path = tmp_path / "bootloader.bin"
    path.write_bytes(imagegen.bootloader())
    return path


def test_bootloader_and_firmware_leave_each_other_intact(tmp_path: Path, boot_image: Path):
    config_sector = pattern(0x4000, 9)  # sector 1 holds the user's configuration
    board = make_board(tmp_path / "b", flash_with((0x08004000, config_sector)))
    firmware = tmp_path / "fw.bin"
    firmware.write_bytes(pattern(0x3000, 5))  # sector 0 only
    with session_on(board) as session:
        session.target.reset_and_halt()
        FileProgrammer(session, chip_erase="sector").program(str(boot_image), base_address=BOOT_BASE,
                                                             file_format="bin")
        session.target.reset_and_halt()
        FileProgrammer(session, chip_erase="sector").program(str(firmware), base_address=APP_BASE,
                                                             file_format="bin")
    flash = read_flash(board)
    boot_bytes = boot_image.read_bytes()
    assert flash[BOOT_BASE - APP_BASE:BOOT_BASE - APP_BASE + len(boot_bytes)] == boot_bytes
    assert flash[:0x3000] == firmware.read_bytes()
    assert flash[0x3000:0x4000] == b"\xff" * 0x1000  # rest of the erased sector
    assert flash[0x4000:0x8000] == config_sector  # untouched sector 1
    chip_seconds = Board.load(board).config.chip_seconds
    # pyOCD's F412 algorithm erases with PSIZE x8: 0.4 s a 16K sector, 2 s a 128K one (DS8626, typ)
    assert chip_seconds == pytest.approx(0.4 + 2.0 + (len(boot_bytes) + 0x3000) / 4 * 16e-6, rel=0.01)


def test_first_boot_crc_write_happens_on_a_plain_reset(tmp_path: Path):
    image = imagegen.firmware("410", "5.03", "release5")
    board = make_board(tmp_path / "b", flash_with((APP_BASE, image)))
    flag = 0x0805FFF0 - APP_BASE
    assert read_flash(board)[flag:flag + 8] == b"\xff" * 8
    with session_on(board) as session:
        session.target.reset_and_halt()  # caught on the reset vector: the firmware has not run
        assert bytes(session.target.read_memory_block8(0x0805FFF0, 4)) == b"\xff" * 4
        session.target.reset()  # a plain reset: the firmware boots and writes its CRC words
        session.target.halt()
        assert session.target.read32(0x0805FFF0) == 0
    flash = read_flash(board)
    assert flash[flag:flag + 4] == b"\0\0\0\0" and flash[flag + 4:flag + 8] != b"\xff" * 4
    assert boot.evaluate(Board.load(board)).running == "vesc"


# -- injected faults --------------------------------------------------------------------------------------------------

def test_probe_unplug_stops_programming_and_is_one_shot(tmp_path: Path):
    board = make_board(tmp_path / "b", faults={"probe_unplug_after_bytes": 0x2000})
    firmware = tmp_path / "fw.bin"
    firmware.write_bytes(pattern(0x8000, 3))
    session = session_on(board)
    session.target.reset_and_halt()
    with pytest.raises(exceptions.Error):
        FileProgrammer(session, chip_erase="sector").program(str(firmware), base_address=APP_BASE,
                                                             file_format="bin")
    session.close()
    flash = read_flash(board)
    written = next(i for i in range(0, 0x8000, 4) if flash[i:i + 4] != firmware.read_bytes()[i:i + 4])
    assert 0x2000 <= written < 0x8000  # the page in flight finishes, the rest never comes
    config = Board.load(board).config
    assert "probe_unplug_after_bytes" not in config.faults
    with session_on(board) as session:  # replugged: works again
        assert read_chip_identity(session.target).flash_kib == 1024


def test_power_loss_after_erases_leaves_flash_and_power_off(tmp_path: Path):
    old = pattern(0xC000, 4)  # sectors 0..2 hold something
    board = make_board(tmp_path / "b", flash_with((APP_BASE, old)), faults={"power_loss_after_erases": 2})
    firmware = tmp_path / "fw.bin"
    firmware.write_bytes(pattern(0xC000, 8))
    session = session_on(board)
    session.target.reset_and_halt()
    with pytest.raises(exceptions.Error):
        FileProgrammer(session, chip_erase="sector", smart_flash=False).program(
            str(firmware), base_address=APP_BASE, file_format="bin")
    session.close()
    config = Board.load(board).config
    assert config.power == "off" and "power_loss_after_erases" not in config.faults
    flash = read_flash(board)
    erased = [n for n in range(3) if flash[SECTORS[n].address - APP_BASE:SECTORS[n].end - APP_BASE]
              != old[SECTORS[n].address - APP_BASE:SECTORS[n].end - APP_BASE]]
    assert len(erased) == 2 and flash[0x8000:0xC000] == old[0x8000:0xC000]
    with pytest.raises(SwdConnectError) as info:
        session_on(board)
    assert info.value.target_voltage < 0.1


def test_stuck_bits_read_back_their_value(tmp_path: Path):
    board = make_board(tmp_path / "b", faults={"stuck_bits": [{"addr": 0x08000010, "value": 0x00}]})
    firmware = tmp_path / "fw.bin"
    firmware.write_bytes(b"\xa5" * 0x1000)
    with session_on(board) as session:
        session.target.reset_and_halt()
        FileProgrammer(session, chip_erase="sector").program(str(firmware), base_address=APP_BASE,
                                                             file_format="bin")
        assert session.target.read8(0x08000010) == 0x00
        assert session.target.read8(0x08000011) == 0xA5
    assert read_flash(board)[0x10] == 0 and "stuck_bits" in Board.load(board).config.faults


def test_swd_error_rate_makes_transfers_fail_once(tmp_path: Path):
    board = make_board(tmp_path / "b")
    with session_on(board) as session:
        bench = Bench.acquire(board)
        try:
            bench.board.config.faults["swd_error_rate"] = 0.2
            failures = 0
            for _ in range(50):
                try:
                    assert session.target.read32(0x1FFF7A20) >> 16 == 1024
                except exceptions.TransferError:
                    failures += 1
            assert 2 <= failures <= 25
        finally:
            bench.board.config.faults.clear()
            bench.release()


# -- pyocd command line, full-size image, measurements ---------------------------------------------------------------

@pytest.mark.slow
def test_pyocd_load_as_a_subprocess_changes_flash_bin(board: Path, boot_image: Path):
    env = dict(os.environ, VESCDOCTOR_SIM_BOARDS="")
    result = subprocess.run([sys.executable, "-m", "pyocd", "load", "-u", f"vescsim:{board}", "-t", "stm32f405rg",
                             str(boot_image), "--base-address", "0x080E0000", "-O", "reset.hold_time=0",
                             "-O", "reset.post_delay=0"],
                            capture_output=True, text=True, env=env, timeout=60, cwd=board.parent)
    assert result.returncode == 0, result.stderr
    data = boot_image.read_bytes()
    assert read_flash(board)[BOOT_BASE - APP_BASE:BOOT_BASE - APP_BASE + len(data)] == data


@pytest.mark.slow
def test_pyocd_list_shows_benches_named_in_the_environment(board: Path):
    env = dict(os.environ, VESCDOCTOR_SIM_BOARDS=str(board))
    result = subprocess.run([sys.executable, "-m", "pyocd", "list"], capture_output=True, text=True, env=env,
                            timeout=60, cwd=board.parent)
    assert result.returncode == 0, result.stderr
    assert str(board.resolve()) in result.stdout


@pytest.mark.slow
def test_full_size_firmware_programs_and_boots(tmp_path: Path, boot_image: Path, record_property):
    board = make_board(tmp_path / "b")
    firmware = tmp_path / "fw.bin"
    image = imagegen.firmware("410", "5.03", "release5")
    firmware.write_bytes(image)
    started = time.perf_counter()
    session = session_on(board)
    open_s = time.perf_counter() - started
    bench = Bench.acquire(board)
    try:
        session.target.reset_and_halt()
        before = bench.usb_backend.bulk_transfers
        started = time.perf_counter()
        FileProgrammer(session, chip_erase="sector").program(str(firmware), base_address=APP_BASE,
                                                             file_format="bin")
        program_s = time.perf_counter() - started
        transfers = bench.usb_backend.bulk_transfers - before
        session.target.reset()  # first boot: CRC words
        session.close()
    finally:
        bench.release()
    flash = read_flash(board)
    assert flash[:0x5FFF0] == image[:0x5FFF0] and flash[0x5FFF0:0x5FFF4] == b"\0\0\0\0"
    record_property("session_open_s", round(open_s, 4))
    record_property("program_393208_s", round(program_s, 3))
    record_property("usb_transfers_393208", transfers)
    print(f"\nSession.open {open_s * 1000:.1f} ms; 393208 B programmed in {program_s:.2f} s "
          f"with {transfers} ST-Link USB transfers")
    assert transfers < 40000  # the time is a benchmark's figure (bench/), never asserted here


# -- what the board shows on USB --------------------------------------------------------------------------------------

def usb_ids(bench: Bench) -> list[tuple[int, int]]:
    return [(d.idVendor, d.idProduct) for d in usb.core.find(find_all=True, backend=bench.usb_backend)]


def test_usb_devices_follow_the_board(tmp_path: Path):
    image = imagegen.firmware("410", "5.03", "small")
    board = make_board(tmp_path / "b", flash_with((APP_BASE, image)), power="off")
    bench = Bench.acquire(board)
    try:
        assert usb_ids(bench) == [(0x0483, 0x3748)]  # unpowered: only the probe
        bench.set_power(True)
        assert usb_ids(bench) == [(0x0483, 0x3748), (0x0483, 0x5740)]
        vesc = usb.core.find(backend=bench.usb_backend, idProduct=0x5740)
        assert (vesc.manufacturer, vesc.product, vesc.serial_number) == (
            "STMicroelectronics", "ChibiOS/RT Virtual COM Port", "304")
        assert [i.bInterfaceClass for i in vesc.get_active_configuration()] == [0x02, 0x0A]  # CDC-ACM
        with session_on(board) as session:  # halted by the debugger: the firmware's USB is gone
            assert usb_ids(bench) == [(0x0483, 0x3748)]
            session.target.reset()
            assert usb_ids(bench) == [(0x0483, 0x3748), (0x0483, 0x5740)]
    finally:
        bench.release()


def test_dfu_when_boot0_is_high(tmp_path: Path):
    board = make_board(tmp_path / "b", boot0="high")
    bench = Bench.acquire(board)
    try:
        assert usb_ids(bench) == [(0x0483, 0x3748), (0x0483, 0xDF11)]
        dfu = usb.core.find(backend=bench.usb_backend, idProduct=0xDF11)
        assert dfu.get_active_configuration()[(0, 0)].bInterfaceClass == 0xFE
    finally:
        bench.release()


@pytest.mark.real_firmware
def test_real_release_gets_its_reference_crc_on_first_boot(tmp_path: Path):
    path = real_image("fw_410_2022-01.bin")
    board = make_board(tmp_path / "b", flash_with((APP_BASE, path.read_bytes())))
    with session_on(board) as session:
        session.target.reset()
    flash = read_flash(board)
    assert flash[0x5FFF0:0x5FFF8] == bytes(4) + (0x933B59DF).to_bytes(4, "little")
