"""Safety of the flash writes, on simulated boards through the real engine (`vescdoctor fix` / `restore`):
- an image's vector table (initial SP, reset vector) is written last of all, so a write that fails to verify or is
  cut short anywhere, its own first page included, leaves no runnable image: the next diagnosis does not say
  healthy, the next fix writes it again;
- the fix's reads (backup, verify) go through transient SWD transfer errors as the diagnosis's do.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vescdoctor.cli import main
from vescdoctor.flash_analysis import BytesReader, analyze
from vescdoctor.sim import imagegen

from board_support import make

BASE, BOOT = 0x08000000, 0x080E0000
ERASED_VECTORS = b"\xff" * 8


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in (("bl", imagegen.bootloader()), ("fw", imagegen.firmware("410", "5.03", "release5"))):
        out[name] = tmp_path / f"{name}.bin"
        out[name].write_bytes(data)
    return out


def flash(board: Path) -> bytes:
    return (board / "flash.bin").read_bytes()


def set_faults(board: Path, faults: dict) -> None:
    path = board / "board.yaml"
    config = yaml.safe_load(path.read_text())
    config["faults"] = faults
    path.write_text(yaml.safe_dump(config))


def fix(board: Path, tmp_path: Path, images: dict[str, Path]) -> int:
    return main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), "--bootloader",
                 str(images["bl"]), "--firmware", str(images["fw"]), "--answer", "hw=410", "--yes"])


def diagnosis(board: Path, capsys) -> tuple[str, set[str]]:
    capsys.readouterr()
    main(["diagnose", "--sim", str(board), "--json"])
    report = json.loads(capsys.readouterr().out)
    return report["verdict"]["code"], set(report["findings"])


@pytest.mark.slow
@pytest.mark.parametrize("stuck,value,what,missing,start", [
    # the firmware's vector table, its 5th word (sector 0 is blank on this board: programmed, then verified)
    (0x08000010, 0x00, "firmware", "app-missing", BASE),
    # the bootloader's: a cell that stays erased (its image byte is 0x00) ...
    (0x080E0020, 0xFF, "bootloader", "bootloader-missing", BOOT),
    # ... and one that reads 0x00 after the erase of sector 11 (garbage on this board): found before programming
    (0x080E0010, 0x00, "bootloader", "bootloader-missing", BOOT),
])
def test_a_stuck_bit_in_the_vector_page_leaves_no_runnable_image(tmp_path, images, capsys, stuck, value, what,
                                                                 missing, start):
    """The vector-table page itself cannot take the image: the fix exits 1 and the SP word is still erased, so the
    next look does not say healthy (the image is missing) and, the cell repaired, the next fix finishes the job."""
    image = images["fw" if what == "firmware" else "bl"].read_bytes()
    assert image[stuck - start] != value  # the stuck cell really is wrong for this image
    board = make(tmp_path, "bricked-update", faults=f"{{stuck_bits: [{{addr: 0x{stuck:08X}, value: 0x{value:02X}}}]}}")
    assert fix(board, tmp_path, images) == 1
    err = capsys.readouterr().err
    assert f"verify failed for the {what}" in err and f"0x{stuck:08X}" in err
    after = flash(board)
    assert after[start - BASE:start - BASE + 8] == ERASED_VECTORS
    verdict, findings = diagnosis(board, capsys)
    assert verdict != "healthy" and missing in findings, (verdict, findings)

    set_faults(board, {})
    assert fix(board, tmp_path, images) == 0
    after = flash(board)
    bl, fw = images["bl"].read_bytes(), images["fw"].read_bytes()
    assert after[BOOT - BASE:BOOT - BASE + len(bl)] == bl and after[:0x4000] == fw[:0x4000]
    assert diagnosis(board, capsys)[0] == "healthy"


@pytest.mark.slow
def test_an_interrupted_restore_never_leaves_a_partial_bootloader_that_looks_valid(tmp_path, images, capsys,
                                                                                  monkeypatch):
    """`restore` writes every sector; the probe vanishes at many points of the write. Sector 11 then holds either an
    erased vector table or the whole bootloader, never part of it behind a valid vector table; the same for the
    app's sector 0. Some of those points fall inside the bootloader's own write (so the check means something)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the restore's safety backups
    board = make(tmp_path, "bricked-update")
    assert fix(board, tmp_path, images) == 0
    good = tmp_path / "good.bin"
    assert main(["backup", "--sim", str(board), str(good)]) == 0
    whole = good.read_bytes()
    bl = images["bl"].read_bytes()
    assert whole[BOOT - BASE:BOOT - BASE + len(bl)] == bl

    damaged = bytearray(whole)
    damaged[BOOT - BASE:] = b"\xff" * (len(whole) - (BOOT - BASE))  # sector 11 erased: restore rewrites it
    damaged[0:0x4000] = b"\xff" * 0x4000  # and sector 0
    seen = set()
    limit, code = 256, 1
    while code != 0:  # the probe vanishes later and later, until the restore gets to its end
        assert limit < 0x10000, "the restore never completed"
        (board / "flash.bin").write_bytes(bytes(damaged))
        set_faults(board, {"probe_unplug_after_bytes": limit})
        code = main(["restore", "--sim", str(board), str(good), "--yes"])
        now = flash(board)
        boot, app = now[BOOT - BASE:], now[:0x4000]
        assert boot[:8] == ERASED_VECTORS or boot[:len(bl)] == bl, f"limit {limit}: partial bootloader"
        assert app[:8] == ERASED_VECTORS or app == whole[:0x4000], f"limit {limit}: partial sector 0"
        assert analyze(BytesReader(now)).bootloader.present == (boot[:len(bl)] == bl), limit
        if boot[:8] == ERASED_VECTORS and boot[8:len(bl)] != b"\xff" * (len(bl) - 8):
            seen.add("bootloader written but for its vector table")
        if app[:8] == ERASED_VECTORS and app[8:] != b"\xff" * (0x4000 - 8):
            seen.add("sector 0 written but for its vector table")
        limit += 640
    assert seen == {"bootloader written but for its vector table", "sector 0 written but for its vector table"}
    assert flash(board)[:BOOT - BASE + len(bl)] == whole[:BOOT - BASE + len(bl)]


@pytest.mark.slow
def test_a_noisy_link_does_not_stop_the_fix(tmp_path, images, capsys):
    """Transfers that fail once (board.md: swd_error_rate): the fix's backup and verify reads are retried as the
    diagnosis's are, and the fix completes."""
    board = make(tmp_path, "bricked-update", faults="{swd_error_rate: 0.0001}")
    before = flash(board)
    assert fix(board, tmp_path, images) == 0, capsys.readouterr().err
    backups = list((tmp_path / "backups").glob("*.bin"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert diagnosis(board, capsys)[0] == "healthy"


def test_a_dead_link_still_fails_the_read_with_a_clear_message(tmp_path):
    """A read that fails every time is not retried for ever: it gives up naming the address and the count (the
    chunk shrinks to retry.READ_MIN_CHUNK first, each chunk retried by read_block: issue 12, item 10)."""
    from pyocd.core import exceptions

    from vescdoctor.fixes.flashops import read_range
    from vescdoctor.fixes.retry import READ_GIVE_UP, GaveUp
    from vescdoctor.target.flash_reader import RETRIES

    class Dead:
        calls = 0

        def read_memory_block8(self, addr, size):
            Dead.calls += 1
            raise exceptions.TransferError("AP parity error")

    with pytest.raises(GaveUp, match=rf"gave up reading at 0x08000000: {READ_GIVE_UP} reads of 1024 bytes"):
        read_range(Dead(), BASE, 0x100)
    assert Dead.calls <= (READ_GIVE_UP + 4) * (RETRIES + 1)


def test_a_read_fault_is_not_retried():
    """A bus fault (read protection) will not go away: raised at once."""
    from pyocd.core import exceptions

    from vescdoctor.fixes.flashops import read_range

    class Protected:
        calls = 0

        def read_memory_block8(self, addr, size):
            Protected.calls += 1
            raise exceptions.TransferFaultError("fault")

    with pytest.raises(exceptions.TransferFaultError):
        read_range(Protected(), BASE, 0x100)
    assert Protected.calls == 1


class FakeFlash:
    """The parts of pyOCD's Flash that the vector-page write uses, over a bytearray; logs every program_page."""

    class Operation:
        PROGRAM = "program"

    def __init__(self, memory: bytearray, fail_at: int | None = None):
        self.memory, self.fail_at, self.log = memory, fail_at, []

    def init(self, operation):
        pass

    def uninit(self):
        pass

    def get_page_info(self, addr):
        from types import SimpleNamespace

        return SimpleNamespace(base_addr=addr & ~0xFFF, size=0x1000)

    def program_page(self, addr, data):
        from pyocd.core.exceptions import FlashProgramFailure

        if addr == self.fail_at:
            raise FlashProgramFailure("the probe vanished")
        self.log.append((addr, len(data)))
        at = addr - BASE
        self.memory[at:at + len(data)] = bytes(a & b for a, b in zip(self.memory[at:at + len(data)], data))


class FakeTarget:
    def __init__(self, flash: FakeFlash):
        from types import SimpleNamespace

        self.flash = flash
        region = SimpleNamespace(flash=flash)
        self.memory_map = SimpleNamespace(get_region_for_address=lambda addr: region)

    def read_memory_block8(self, addr, size):
        if addr == 0x1FFF7A10:  # the unique ID, read by the chip identity gate with the two below
            return [0x42] * size
        return list(self.flash.memory[addr - BASE:addr - BASE + size])

    def read32(self, addr):  # DBGMCU_IDCODE and CPUID of an STM32F405
        return {0xE0042000: 0x10076413, 0xE000ED00: 0x410FC241}[addr]

    def read16(self, addr):  # the flash size register: 1024 KiB
        assert addr == 0x1FFF7A22
        return 1024


def test_the_vector_page_is_programmed_without_its_first_8_bytes_then_the_reset_vector_then_the_sp():
    from vescdoctor.fixes.flashops import write_vector_page

    page = imagegen.bootloader()[:0x1000]
    flash = FakeFlash(bytearray(b"\xff" * 0x2000))
    assert write_vector_page(FakeTarget(flash), BASE, page, "bootloader") == len(page)
    assert flash.log == [(BASE + 8, len(page.rstrip(b"\xff")) - 8), (BASE + 4, 4), (BASE, 4)]
    assert bytes(flash.memory[:0x1000]) == page


@pytest.mark.parametrize("fail_at", [BASE + 8, BASE + 4, BASE])
def test_a_vector_page_write_cut_short_leaves_the_sp_erased(fail_at):
    """Power or probe lost while the page, the reset vector or the SP itself is programmed: the SP word is still
    0xFFFFFFFF, so nothing can start from there."""
    from pyocd.core.exceptions import FlashProgramFailure

    from vescdoctor.fixes.flashops import write_vector_page

    page = imagegen.bootloader()[:0x1000]
    flash = FakeFlash(bytearray(b"\xff" * 0x2000), fail_at=fail_at)
    with pytest.raises(FlashProgramFailure):
        write_vector_page(FakeTarget(flash), BASE, page, "bootloader")
    assert flash.memory[:4] == b"\xff" * 4
    assert all(addr != BASE for addr, _ in flash.log)


def test_a_restore_holds_back_the_vector_page_of_the_app_and_of_the_bootloader():
    """restore passes the 12 sectors as segments: both images' first pages are written last, not only sector 0's."""
    from vescdoctor.fixes.flashops import held_back
    from vescdoctor.knowledge.flash import SECTORS

    whole = bytes(range(256)) * (0x100000 // 256)
    segments = [(s.address, whole[s.address - BASE:s.end - BASE]) for s in SECTORS]
    held = held_back(FakeTarget(FakeFlash(bytearray())), segments)
    assert held == [(BASE, whole[:0x1000]), (BOOT, whole[BOOT - BASE:BOOT - BASE + 0x1000])]
