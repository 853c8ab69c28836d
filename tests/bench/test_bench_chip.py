"""The simulated STM32F405 behaves as the real chip's reference manual (RM0090 rev 19) and the architecture manual
(ARMv7-M ARM, DDI 0403E) say, where vescdoctor depends on it: state kept while powered, architectural faults, boot
from system memory. Each test fails on a bench that is kinder than the chip."""
from __future__ import annotations

from pathlib import Path

import pytest
from pyocd.core.target import Target

from vescdoctor.errors import InputError
from vescdoctor.knowledge.flash import FLASH_SIZE
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig
from vescdoctor.target.session import open_session

ERASED = b"\xff" * FLASH_SIZE


def make_board(path: Path, flash: bytes | bytearray = ERASED, **fields) -> Path:
    Board.create(path, BoardConfig(**fields), flash)
    return path


def session_on(board: Path, **options):
    return open_session(f"vescsim:{board}", **options)


# -- state that lasts while the chip is powered ------------------------------------------------------------------------
def test_a_halted_core_stays_halted_for_the_next_session(tmp_path):
    # ARMv7-M ARM C1.4: the core stays in Debug state until the debugger restarts it or a reset; closing a debug
    # session without resuming (pyOCD's resume_on_disconnect off) leaves it there, and so does the next command.
    board = make_board(tmp_path / "b")
    with session_on(board, resume_on_disconnect=False) as session:
        session.target.halt()
        session.target.write_core_register("r5", 0x12345678)
    with session_on(board, connect_mode="attach") as session:
        assert session.target.get_state() == Target.State.HALTED
        assert session.target.read_core_register("r5") == 0x12345678


def test_sram_keeps_its_contents_across_sessions_and_resets_until_power_off(tmp_path):
    # RM0090 2.3.1: SRAM keeps its contents while powered (a system reset does not clear it).
    board = make_board(tmp_path / "b")
    with session_on(board) as session:
        session.target.write32(0x20001000, 0xCAFEF00D)
        session.target.write32(0x10000010, 0x0BADBEEF)  # CCM too
    with session_on(board) as session:
        assert session.target.read32(0x20001000) == 0xCAFEF00D
        assert session.target.read32(0x10000010) == 0x0BADBEEF
        session.target.reset()
        assert session.target.read32(0x20001000) == 0xCAFEF00D
    bench = Bench.acquire(board)
    try:
        bench.set_power(False)
        bench.set_power(True)
    finally:
        bench.release()
    with session_on(board) as session:
        assert session.target.read32(0x20001000) != 0xCAFEF00D


def test_a_reset_through_the_probe_ends_the_halt(tmp_path):
    board = make_board(tmp_path / "b")
    with session_on(board, resume_on_disconnect=False) as session:
        session.target.halt()
        session.target.reset()  # SYSRESETREQ without halt: the core leaves reset and runs
    with session_on(board, connect_mode="attach") as session:
        assert session.target.get_state() != Target.State.HALTED


def test_an_unpowered_board_keeps_no_chip_state(tmp_path):
    board = make_board(tmp_path / "b")
    with session_on(board, resume_on_disconnect=False) as session:
        session.target.halt()
    assert (board / "chip-state.bin").is_file()
    bench = Bench.acquire(board)
    try:
        bench.set_power(False)
    finally:
        bench.release()
    assert not (board / "chip-state.bin").exists()


def test_a_damaged_state_file_is_a_clear_error(tmp_path):
    board = make_board(tmp_path / "b")
    (board / "chip-state.bin").write_bytes(b"garbage")
    with pytest.raises(InputError, match="chip-state.bin"):
        Bench.acquire(board)


# -- architectural faults (ARMv7-M ARM B1.5) ---------------------------------------------------------------------------
import struct  # noqa: E402

HANDLER = 0x08000200  # a HardFault handler: `b .` (0xE7FE)
RESET_CODE = 0x08000100  # the reset handler: `b .`
CFSR, HFSR = 0xE000ED28, 0xE000ED2C
UDF, NOP, LOOP = b"\x00\xde", b"\x00\xbf", b"\xfe\xe7"


def image(reset: int = RESET_CODE | 1, hardfault: int = HANDLER | 1) -> bytearray:
    flash = bytearray(ERASED)
    flash[:16] = struct.pack("<4I", 0x20010000, reset, hardfault, hardfault)
    flash[RESET_CODE - 0x08000000:RESET_CODE - 0x08000000 + 2] = LOOP
    flash[HANDLER - 0x08000000:HANDLER - 0x08000000 + 2] = LOOP
    return flash


def run_code_at(session, addr: int, code: bytes) -> None:
    target = session.target
    target.halt()
    target.write_memory_block8(addr, list(code))
    target.write_core_register("pc", addr)
    target.write_core_register("xpsr", 0x01000000)
    target.write_core_register("sp", 0x20008000)


def ipsr(target) -> int:
    return target.read_core_register("xpsr") & 0x1FF


def test_an_undefined_instruction_enters_the_hardfault_handler(tmp_path):
    # B1.5.8: an UNDEFINED instruction is a UsageFault (UNDEFINSTR); disabled at reset, it escalates to HardFault
    # (HFSR.FORCED); exception entry stacks the faulting instruction's address and runs the handler with IPSR 3.
    board = make_board(tmp_path / "b", image())
    with session_on(board) as session:
        target = session.target
        run_code_at(session, 0x20000000, NOP + UDF + NOP)
        target.resume()
        target.halt()
        assert target.read_core_register("pc") == HANDLER and ipsr(target) == 3
        assert target.read32(CFSR) & (1 << 16) and target.read32(HFSR) & (1 << 30)
        sp = target.read_core_register("sp")
        assert sp == 0x20008000 - 32 and target.read32(sp + 24) == 0x20000002  # stacked return address
        assert target.read_core_register("lr") == 0xFFFFFFF9  # EXC_RETURN: thread mode, main stack


def test_single_stepping_a_faulting_instruction_halts_in_the_handler(tmp_path):
    # C1.5: a step that takes an exception halts on the first instruction of the handler.
    board = make_board(tmp_path / "b", image())
    with session_on(board) as session:
        target = session.target
        run_code_at(session, 0x20000000, UDF)
        target.step()
        assert target.get_state().name == "HALTED"
        assert target.read_core_register("pc") == HANDLER and ipsr(target) == 3


def test_a_fault_in_the_hardfault_handler_locks_up(tmp_path):
    # B1.5.15: a fault while in HardFault (here the handler vector points at erased flash) is unrecoverable.
    board = make_board(tmp_path / "b", image(hardfault=0x08000401))
    with session_on(board) as session:
        target = session.target
        run_code_at(session, 0x20000000, UDF)
        target.resume()
        assert target.get_state().name == "LOCKUP"


def test_after_mass_erase_and_reset_the_core_is_locked_up(tmp_path):
    # Blank flash: SP 0xFFFFFFFF, reset vector 0xFFFFFFFF; the first fetch faults, stacking fails: lockup.
    from pyocd.flash.eraser import FlashEraser

    board = make_board(tmp_path / "b", image())
    with session_on(board) as session:
        FlashEraser(session, FlashEraser.Mode.CHIP).erase()
        session.target.reset()
        assert session.target.get_state() == Target.State.LOCKUP
    with session_on(board, connect_mode="attach") as session:
        assert session.target.get_state() == Target.State.LOCKUP


@pytest.mark.parametrize(("addr", "cfsr_bit"), [(0x10000000, 1 << 8), (0x40000000, 1 << 0)])
def test_instruction_fetch_from_ccm_or_peripheral_space_faults(tmp_path, addr, cfsr_bit):
    # CCM has no I-bus path (RM0090 2.1): IBUSERR; the peripheral region is execute-never (B3.1): IACCVIOL.
    board = make_board(tmp_path / "b", image())
    with session_on(board) as session:
        target = session.target
        target.halt()
        if addr == 0x10000000:
            target.write_memory_block8(addr, list(NOP * 4))
        target.write_core_register("pc", addr)
        target.write_core_register("xpsr", 0x01000000)
        target.write_core_register("sp", 0x20008000)
        target.resume()
        target.halt()
        assert target.read_core_register("pc") == HANDLER and ipsr(target) == 3
        assert target.read32(CFSR) & cfsr_bit


def test_pyocd_default_ram_is_sram_not_ccm(tmp_path):
    board = make_board(tmp_path / "b")
    with session_on(board) as session:
        ram = session.target.memory_map.get_default_region_of_type(__import__("pyocd.core.memory_map", fromlist=[
            "MemoryType"]).MemoryType.RAM)
        assert ram.start == 0x20000000


def test_an_even_reset_vector_clears_the_t_bit_and_faults_with_invstate(tmp_path):
    # B1.5.5 TakeReset: EPSR.T = bit 0 of the reset vector; executing with T clear is an INVSTATE UsageFault.
    board = make_board(tmp_path / "b", image(reset=RESET_CODE))
    with session_on(board) as session:
        target = session.target
        target.reset_and_halt()
        assert target.read_core_register("pc") == RESET_CODE
        assert target.read_core_register("xpsr") & (1 << 24) == 0
        target.step()
        assert target.read_core_register("pc") == HANDLER and ipsr(target) == 3
        assert target.read32(CFSR) & (1 << 17)


def test_xpsr_t_bit_is_not_forced(tmp_path):
    # pyOCD's cortex_test writes 0xd0000000 and expects to read it back.
    board = make_board(tmp_path / "b", image())
    with session_on(board) as session:
        target = session.target
        target.halt()
        target.write_core_register("xpsr", 0xD0000000)
        assert target.read_core_register("xpsr") == 0xD0000000


# -- BOOT0 high: the ROM bootloader (RM0090 2.4) -----------------------------------------------------------------------
def test_boot0_high_maps_system_memory_at_zero_and_halts_there_after_reset(tmp_path):
    board = make_board(tmp_path / "b", image(), boot0="high")
    with session_on(board) as session:
        target = session.target
        target.reset_and_halt()
        pc = target.read_core_register("pc")
        assert 0x1FFF0000 <= pc < 0x1FFF7800
        assert target.read32(0x0) == target.read32(0x1FFF0000) != target.read32(0x08000000)
        assert target.read32(0x1FFF0004) & 1 and target.read32(0x1FFF0004) != 0xFFFFFFFF  # a ROM, not blank


# -- stuck bits: one truth for the boot model and SWD ------------------------------------------------------------------
def test_a_stuck_cell_reads_the_same_over_swd_as_the_boot_model_sees_it(tmp_path):
    from vescdoctor.sim import boot

    board = make_board(tmp_path / "b", image())
    text = (board / "board.yaml").read_text().replace("faults: {}",
                                                      "faults: {stuck_bits: [{addr: 0x08000100, value: 0x00}]}")
    (board / "board.yaml").write_text(text)
    with session_on(board) as session:
        assert session.target.read8(0x08000100) == 0x00  # never touched by the flash controller
    loaded = Board.load(board)
    assert boot._flash_view(loaded)[0x100] == 0x00 == loaded.flash[0x100]


def test_option_bytes_changed_by_hand_start_the_chip_afresh(tmp_path):
    # Editing board.yaml's RDP or BOOT0 stands for changing the board by hand, which takes a power cycle.
    board = make_board(tmp_path / "b")
    with session_on(board, resume_on_disconnect=False) as session:
        session.target.halt()
        session.target.write32(0x20001000, 0xCAFEF00D)
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("boot0: low", "boot0: high"))
    with session_on(board, connect_mode="attach") as session:
        assert session.target.get_state() != Target.State.HALTED
