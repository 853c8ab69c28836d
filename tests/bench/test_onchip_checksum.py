"""On-chip checksums (vescdoctor.target.onchip_checksum): pyOCD's CRC analyzer runs on the bench's core (Unicorn)
as on a chip, and its CRCs match the host's; a changed byte or a stuck bit shows as a mismatch."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vescdoctor.sim.scenario import build_board, load_scenario
from vescdoctor.target.onchip_checksum import MIN_BLOCK, OnChipChecksum, aligned_blocks, host_crc
from vescdoctor.target.session import open_session

SCENARIO = """\
name: onchip
description: firmware and bootloader
board: {hw: "410"%s}
flash:
  - {at: 0x08000000, generate: firmware, hw: "410", version: "5.03", size: release5, layout: reference}
  - {at: 0x080E0000, generate: bootloader, compression: true}
"""


def make_board(tmp_path: Path, faults: str = "") -> Path:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(textwrap.dedent(SCENARIO % (f", faults: {faults}" if faults else "")))
    board = tmp_path / "board"
    build_board(load_scenario(scenario), board)
    return board


def flash_bytes(board: Path) -> bytes:
    return (board / "flash.bin").read_bytes()


def test_aligned_blocks_cover_the_range_in_order():
    for address, size in ((0x08000000, 0x100000), (0x08000003, 0x1234), (0x080E0000, 8), (0x0800C100, 0x3F00)):
        blocks = aligned_blocks(address, size)
        assert blocks[0][0] == address and sum(n for _, n, _ in blocks) == size
        for (a, n, on_chip), nxt in zip(blocks, blocks[1:] + [(address + size, 0, False)]):
            assert a + n == nxt[0]
            if on_chip:
                assert n & (n - 1) == 0 and a % n == 0 and n >= MIN_BLOCK
    assert aligned_blocks(0x08000000, 0x100000) == [(0x08000000 + i * 0x4000, 0x4000, True) for i in range(64)]


def test_the_chip_crc_matches_the_host_and_a_changed_byte_does_not(tmp_path):
    board = make_board(tmp_path)
    flash = flash_bytes(board)
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        target.halt()
        chip = OnChipChecksum(target)
        crcs = chip.crc_of(0x08000000, len(flash))
        assert [c for _, _, c in crcs] == [host_crc(flash[a - 0x08000000:a - 0x08000000 + n]) for a, n, _ in crcs]
        assert chip.differing([(0x08000000, flash)]) == []
        changed = bytearray(flash[:0x40000])
        changed[0x12345] ^= 0x01
        assert chip.differing([(0x08000000, bytes(changed))]) == [(0x08010000, 0x4000)]
        assert chip.bytes_read <= 4 * (64 + 64 + 16)  # CRC words, not the megabyte


def test_a_stuck_bit_shows_as_a_mismatch(tmp_path):
    """A cell stuck at 0x00 stays 0x00 through an erase: the erased sector's blank check on the chip fails there."""
    board = make_board(tmp_path, "{stuck_bits: [{addr: 0x08020010, value: 0x00}]}")
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        target.halt()
        flash = target.memory_map.get_region_for_address(0x08020000).flash
        flash.init(flash.Operation.ERASE)
        flash.erase_sector(0x08020000)
        flash.uninit()
        assert target.read8(0x08020010) == 0x00
        assert OnChipChecksum(target).differing([(0x08020000, b"\xff" * 0x20000)]) == [(0x08020000, 0x4000)]


def test_small_unaligned_pieces_are_left_to_read(tmp_path):
    board = make_board(tmp_path)
    flash = flash_bytes(board)
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        target.halt()
        got = OnChipChecksum(target).differing([(0x08000004, flash[4:0x2010])])
        assert got == [(0x08000004, 0xFFC), (0x08002000, 0x10)]


def test_a_proven_read_rereads_a_block_the_wire_garbled_and_fails_when_it_stays_wrong(tmp_path):
    from pyocd.core import exceptions

    from vescdoctor.target.flash_reader import read_block, read_proven

    board = make_board(tmp_path)
    flash = flash_bytes(board)
    reads: list[tuple[int, int]] = []
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        target.halt()

        garbled = []

        def noisy(addr: int, size: int) -> bytes:  # the first read of 0x08010001 garbles it
            reads.append((addr, size))
            data = bytearray(read_block(target, addr, size))
            if not garbled and addr <= 0x08010001 < addr + size:
                garbled.append(addr)
                data[0x08010001 - addr] ^= 0x40
            return bytes(data)
        erased = [a for a in range(0, 0x40000, 0x4000) if flash[a:a + 0x4000] == b"\xff" * 0x4000]
        assert 0x10000 not in erased and erased  # the test's premise: code at 0x08010000, erased blocks too
        assert read_proven(target, 0x08000000, 0x40000, noisy, chip_ok=True) == flash[:0x40000]
        # read once, one block again; erased blocks (their CRC is the CRC of 0xFF bytes) are not read at all
        assert reads[-1] == (0x08010000, 0x4000) and sum(n for _, n in reads[:-1]) == 0x40000 - 0x4000 * len(erased)
        assert not any(a <= 0x08000000 + e < a + n for a, n in reads for e in erased)

        def always_wrong(addr: int, size: int) -> bytes:
            return b"\x00" * size
        with pytest.raises(exceptions.TransferError, match="chip's own CRC"):
            read_proven(target, 0x08000000, 0x8000, always_wrong, chip_ok=True)


def test_verify_reads_back_only_what_the_chip_does_not_confirm(tmp_path):
    from vescdoctor.fixes.flashops import VerifyError, verify_segments

    board = make_board(tmp_path)
    flash = flash_bytes(board)
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        target.halt()
        read = []
        ap = target.selected_core.ap  # flash reads go through the AP (flash_reader.unfiltered_read8)
        original = ap.read_memory_block8
        ap.read_memory_block8 = lambda addr, size: (read.append(size), original(addr, size))[1]
        assert verify_segments(target, [(0x08000000, flash[:0x60000], "firmware")]) == 0x60000
        assert sum(read) == 0  # all of it confirmed by CRCs
        wrong = bytearray(flash[:0x60000])
        wrong[0x4567A] ^= 0xFF
        with pytest.raises(VerifyError, match="1 byte.*0x0804567A"):
            verify_segments(target, [(0x08000000, bytes(wrong), "firmware")])
        assert sum(read) == 0x4000  # only the block that failed, byte for byte


def test_a_proven_read_skips_known_blocks_the_chip_confirms_and_reads_stale_ones(tmp_path):
    from vescdoctor.target.flash_reader import read_block, read_proven

    board = make_board(tmp_path)
    flash = flash_bytes(board)
    reads: list[tuple[int, int]] = []
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        target.halt()

        def read(addr: int, size: int) -> bytes:
            reads.append((addr, size))
            return read_block(target, addr, size)
        stale = bytearray(flash[0x8000:0xC000])
        stale[5] ^= 1
        known = {0x08004000: flash[0x4000:0x8000], 0x08008000: bytes(stale)}
        assert read_proven(target, 0x08000000, 0x10000, read, chip_ok=True, known=known) == flash[:0x10000]
        assert reads == [(0x08000000, 0x4000), (0x08008000, 0x8000)]


def test_flash_reads_skip_pyocds_per_byte_breakpoint_filter_where_no_software_breakpoint_can_be(tmp_path):
    """Flash is not writable, so pyOCD can set no software breakpoint there: flash_reader reads it through the
    core's AP without the breakpoint manager's per-byte filter. SRAM, where one can be, still goes through it."""
    from vescdoctor.target.flash_reader import read_block

    board = make_board(tmp_path)
    flash = flash_bytes(board)
    with open_session(f"vescsim:{board}") as session:
        target = session.target
        target.halt()
        core = target.selected_core
        filtered: list[int] = []
        original = core.bp_manager.filter_memory_unaligned_8

        def counting(addr, size, data):
            filtered.append(addr)
            return original(addr, size, data)
        core.bp_manager.filter_memory_unaligned_8 = counting
        assert read_block(target, 0x08000000, 0x4000) == flash[:0x4000] and filtered == []
        ram = 0x20001000
        target.write_memory_block8(ram, [0x12, 0x34, 0x56, 0x78])
        assert target.set_breakpoint(ram, target.BreakpointType.SW)
        assert read_block(target, ram, 4) == bytes([0x12, 0x34, 0x56, 0x78]) and filtered == [ram]
        target.remove_breakpoint(ram)
