"""The SWD clock vescdoctor asks (target/swd_clock.py) and the bench's wiring limit (board field swd_max_khz).

A board whose wires carry at most some clock fails every transfer above it with the probe's parity/protocol error;
vescdoctor starts at the probe's fastest clock and steps down its ladder until the chip answers, records each step
and tells the rider. Bytes and clocks are asserted, never wall time.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyocd.core import exceptions

from vescdoctor.cli import main
from vescdoctor.errors import InputError
from vescdoctor.sim import imagegen
from vescdoctor.sim.bench import Bench
from vescdoctor.sim.board import Board, BoardConfig, parse_config
from vescdoctor.target import flash_regs as F
from vescdoctor.target.session import allow_x32_erase, open_session
from vescdoctor.target.stm32f405 import erase_sector_x32
from vescdoctor.target.swd_clock import ClockLadder, is_clock_error

from board_support import fix, flash, make

MIB = 1 << 20


def wired(board: Path, max_khz: int, probe: str | None = None) -> Path:
    yaml = board / "board.yaml"
    text = yaml.read_text() + f"swd_max_khz: {max_khz}\n"
    if probe:
        text = text.replace("\nprobe: stlink-v2\n", f"\nprobe: {probe}\n")
    yaml.write_text(text)
    return board


def diagnose_json(board: Path, capsys) -> dict:
    capsys.readouterr()
    main(["diagnose", "--sim", str(board), "--json"])
    return json.loads(capsys.readouterr().out)


def test_a_good_wire_runs_the_probes_fastest_clock(tmp_path, capsys):
    report = diagnose_json(make(tmp_path, "bricked-update"), capsys)
    assert report["bench"]["swd_khz"] == 4600
    assert report["facts"]["swd.clock_khz"] == 4600 and report["facts"]["swd.clock_steps"] == []
    assert [a["swd_khz"] for a in report["facts"]["swd.attempts"]] == [4600]


def test_long_wires_step_the_stlink_down_to_what_they_carry(tmp_path, capsys):
    board = wired(make(tmp_path, "bricked-update"), 1000)  # carries 950 kHz, not 1.8 MHz
    report = diagnose_json(board, capsys)
    facts = report["facts"]
    assert report["verdict"]["code"] == "app-missing"  # the diagnosis finished as on a good wire
    assert report["bench"]["swd_khz"] == 950 and facts["swd.clock_khz"] == 950
    assert [(s["from_khz"], s["to_khz"]) for s in facts["swd.clock_steps"]] == [(4600, 1800), (1800, 950)]
    assert all("parity" in s["reason"].lower() or "error" in s["reason"].lower() for s in facts["swd.clock_steps"])
    attempts = facts["swd.attempts"]
    assert [(a["mode"], a["ok"], a["swd_khz"]) for a in attempts] == [
        ("attach", False, 4600), ("attach", False, 1800), ("attach", True, 950)]
    main(["diagnose", "--sim", str(board)])
    said = capsys.readouterr()
    assert "SWD: long or loose wires: slowed the SWD clock to 950 kHz" in said.err  # the walk, as it happens
    report_file = tmp_path / "report.json"
    main(["diagnose", "--sim", str(board), "--report", str(report_file)])
    capsys.readouterr()
    main(["report", "show", str(report_file)])
    shown = capsys.readouterr().out  # the report in words, as the rider reads it
    assert "long or loose wires: transfers failed at 4600 kHz, 1800 kHz; slowed to 950 kHz" in shown


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_cmsis_dap_steps_down_its_own_ladder(tmp_path, capsys):
    board = wired(make(tmp_path, "bricked-update"), 2500, probe="cmsis-dap")
    report = diagnose_json(board, capsys)
    assert report["bench"]["probe"] == "cmsis-dap" and report["bench"]["swd_khz"] == 2000
    assert [(s["from_khz"], s["to_khz"]) for s in report["facts"]["swd.clock_steps"]] == [(4000, 2000)]


def test_a_wire_that_carries_nothing_ends_at_the_bottom_of_the_ladder(tmp_path, capsys):
    board = wired(make(tmp_path, "bricked-update"), 100)  # below 480 kHz, the ladder's last step
    report = diagnose_json(board, capsys)
    facts = report["facts"]
    assert facts["swd.connected"] is False
    assert [s["to_khz"] for s in facts["swd.clock_steps"]] == [1800, 950, 480]
    assert len(facts["swd.attempts"]) == 4 + 1  # attach down the ladder, then under-reset at the bottom clock


def test_a_miswired_board_is_not_walked_down_the_ladder(tmp_path, capsys):
    # no ACK at all is not a clock problem: the ladder of connect modes runs as before, at the fastest clock
    board = make(tmp_path, "bricked-update")
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("\nswd: ok\n", "\nswd: miswired\n"))
    facts = diagnose_json(board, capsys)["facts"]
    assert facts["swd.clock_steps"] == []
    assert [(a["mode"], a["swd_khz"]) for a in facts["swd.attempts"]] == [("attach", 4600), ("under-reset", 4600)]


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_the_fix_finishes_over_long_wires_and_reports_the_clock(tmp_path, capsys):
    board = wired(make(tmp_path, "bricked-update"), 2000)
    bl, fw = tmp_path / "bl.bin", tmp_path / "fw.bin"
    bl.write_bytes(imagegen.bootloader())
    fw.write_bytes(imagegen.firmware("410", "5.03", "small"))
    capsys.readouterr()
    code = fix(board, tmp_path, "--bootloader", str(bl), "--firmware", str(fw), "--yes", "--answer", "hw=410",
               "--json")
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["after"]["verdict"] == "healthy"
    assert report["bench"]["swd_khz"] == 1800
    assert [(s["from_khz"], s["to_khz"]) for s in report["facts"]["swd.clock_steps"]] == [(4600, 1800)]
    assert flash(board)[0x080E0000 - 0x08000000:][:len(bl.read_bytes())] == bl.read_bytes()


def test_swd_max_khz_is_a_checked_board_field():
    assert parse_config({"swd_max_khz": 1800}, "board.yaml").swd_max_khz == 1800
    for bad in (0, -5, "fast", 1.5, True):
        with pytest.raises(InputError, match="swd_max_khz"):
            parse_config({"swd_max_khz": bad}, "board.yaml")


def test_clock_errors_are_told_from_no_answer_and_faults():
    assert is_clock_error(exceptions.TransferError("SWD/JTAG communication failure (Unexpected ACK '0')"))
    assert is_clock_error(exceptions.TransferProtocolError("SWD protocol error"))
    assert not is_clock_error(exceptions.TransferError("SWD/JTAG communication failure (No ACK); check USB cable"))
    assert not is_clock_error(exceptions.TransferFaultError("fault"))
    assert not is_clock_error(exceptions.ProbeError("JTAG_ENTER2 failed"))
    ladder = ClockLadder("stlink-v2")
    assert ladder.words() is None
    while ladder.step_down("parity error"):
        pass
    assert ladder.hz == 480_000 and [s.to_khz for s in ladder.steps] == [1800, 950, 480]
    assert "480 kHz" in ladder.words()


# -- erase at x32 ---------------------------------------------------------------------------------------------------

def _erase(board: Path, address: int) -> tuple[float, BaseException | None]:
    bench = Bench.acquire(board)
    try:
        with open_session(f"vescsim:{board}") as session:
            target = session.target
            assert not target.erase_x32  # a bare pyOCD session keeps pyOCD's algorithm
            allow_x32_erase(session)  # what vescdoctor's link does
            assert target.erase_x32  # 3.3 V measured by the probe: x32 allowed (RM0090 table 6)
            target.halt()
            before = bench.chip.clock.now
            try:
                erase_sector_x32(target, address)
            except exceptions.FlashEraseFailure as exc:
                return bench.chip.clock.now - before, exc
            assert target.read32(F.CR) & F.CR_LOCK  # locked again, as found
            return bench.chip.clock.now - before, None
    finally:
        bench.release()


def test_register_level_sector_erase_runs_at_x32(tmp_path):
    board = tmp_path / "b"
    Board.create(board, BoardConfig(), b"\x00" * MIB)
    spent, error = _erase(board, 0x080E0000)
    assert error is None and spent == pytest.approx(1.0)  # DS8626: 128 KiB at x32 1 s (2 s at x8)
    data = flash(board)
    assert data[0xE0000:] == b"\xff" * 0x20000 and data[:0xE0000] == b"\x00" * 0xE0000  # that sector only


def test_register_level_erase_of_a_protected_sector_fails_with_wrperr(tmp_path):
    board = tmp_path / "b"
    config = BoardConfig()
    config.option_bytes.wrp = [11]
    Board.create(board, config, b"\x00" * MIB)
    _, error = _erase(board, 0x080E0000)
    assert error is not None and "WRPERR" in str(error)
    assert flash(board)[0xE0000:] == b"\x00" * 0x20000


def test_only_sector_starts_are_erased():
    with pytest.raises(ValueError, match="not the start of a flash sector"):
        F.sector_number(0x080E1000)
    assert F.sector_number(0x08010000) == 4 and F.sector_number(0x080E0000) == 11


def test_write_segments_leaves_a_sector_that_holds_its_bytes_and_erases_one_that_does_not_at_x32(tmp_path):
    from vescdoctor.fixes.flashops import write_segments

    image = bytes(range(256)) * 16  # 4 KiB
    flash_bytes = bytearray(b"\xff" * MIB)
    flash_bytes[0x41000:0x42000] = image  # sector 6 already holds its piece
    flash_bytes[0x60000:0x61000] = b"\x00" * 0x1000  # sector 7 holds other data
    board = tmp_path / "b"
    Board.create(board, BoardConfig(), bytes(flash_bytes))
    bench = Bench.acquire(board)
    segments = [(0x08020000, image), (0x08041000, image), (0x08061000, image)]  # sector 5 blank: its page held back
    try:
        with open_session(f"vescsim:{board}") as session:
            allow_x32_erase(session)
            session.target.reset_and_halt()
            before = bench.chip.clock.now
            held = write_segments(session.target, segments, on_erase=lambda f: None, on_program=lambda f: None)
            spent = bench.chip.clock.now - before
    finally:
        bench.release()
    assert [addr for addr, _ in held] == [0x08020000]  # the first segment's first page waits for the end
    data = flash(board)
    assert data[0x20000:0x21000] == b"\xff" * 0x1000
    assert data[0x41000:0x42000] == image  # sector 6: neither erased nor written
    assert data[0x60000:0x61000] == b"\xff" * 0x1000 and data[0x61000:0x62000] == image  # sector 7: erased, written
    # one 128 KiB erase at x32 (1 s, DS8626) and 1024 words (16 us each): sectors 5 and 6 cost nothing
    assert spent == pytest.approx(1.0 + 1024 * 16e-6, rel=1e-3)


def test_the_sector_11_proof_after_a_cut_analyzer_run_compares_the_same_crcs(tmp_path, monkeypatch):
    # A transfer error cutting the chip's CRC run after the firmware write must not read as "sector 11 changed":
    # the after-proof is computed in the before-proof's kind, from the bytes read (tests/cli/test_safety.py's
    # flaky ST-Link hit exactly this).
    from vescdoctor.fixes.flashops import CRC_PROOF, sector_proof
    from vescdoctor.target import onchip_checksum

    board = tmp_path / "b"
    Board.create(board, BoardConfig(), bytes(range(256)) * (MIB // 256))
    bench = Bench.acquire(board)
    try:
        with open_session(f"vescsim:{board}") as session:
            target = session.target
            target.reset_and_halt()
            before = sector_proof(target, 0x080E0000, 0x20000)
            assert before[0] == CRC_PROOF

            def cut(self, address, size):
                raise onchip_checksum.OnChipUnavailable("the on-chip CRC failed (SWD parity error)")
            monkeypatch.setattr(onchip_checksum.OnChipChecksum, "crc_of", cut)
            assert sector_proof(target, 0x080E0000, 0x20000, like=before[0]) == before
            assert sector_proof(target, 0x080E0000, 0x20000)[0] == "sha256"  # without `like`: as before
    finally:
        bench.release()


@pytest.mark.parametrize("probe, volts, x32", [("stlink-v2", None, True), ("stlink-v2", 2.5, False),
                                               ("cmsis-dap", None, False)])
def test_x32_erase_only_on_a_measured_supply_of_2_7_v_or_more(tmp_path: Path, probe, volts, x32):
    """RM0090 table 6: PSIZE x32 needs VDD 2.7-3.6 V. A probe that cannot measure (CMSIS-DAP) keeps x8."""
    board = tmp_path / "b"
    Board.create(board, BoardConfig(probe=probe), b"\xff" * MIB)
    with open_session(f"vescsim:{board}") as session:
        allow_x32_erase(session, volts)
        assert session.target.erase_x32 is x32
