"""Issue 12, "Nothing lost, whatever the input": one test (or a few) per numbered item, each failing on the code
before the fix. The long fault matrix is bench/reliability.py; its bounded form is tests/test_reliability.py."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.sim import imagegen

from board_support import make

FIRMWARE = Path(__file__).resolve().parents[2] / "shared" / "firmware"
HW410 = ("--answer", "hw=410")


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in (("bl", imagegen.bootloader()), ("fw", imagegen.firmware("410", "5.03", "release5"))):
        out[name] = tmp_path / f"{name}.bin"
        out[name].write_bytes(data)
    return out


def fix(board: Path, tmp_path: Path, *extra: str) -> int:
    return main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), *extra])


# -- 2. an image cut short is refused ------------------------------------------------------------------------------
@pytest.mark.parametrize("cut", [100000, 200000, 300000])
def test_a_cut_firmware_is_listed_by_inspect_and_refused_by_fix(tmp_path, capsys, cut):
    whole = imagegen.firmware("410", "5.03", "release5")
    cut_file = tmp_path / "t.bin"
    cut_file.write_bytes(whole[:cut])
    assert main(["inspect", str(cut_file), "--json"]) == 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert any(p.startswith("incomplete: the image is cut short") for p in problems), problems
    board = make(tmp_path, "app-erased")
    before = (board / "flash.bin").read_bytes()
    assert fix(board, tmp_path, "--firmware", str(cut_file), "--yes", *HW410) == 2
    err = capsys.readouterr().err
    assert "incomplete: the image is cut short" in err and str(cut_file) in err, err
    assert (board / "flash.bin").read_bytes() == before


def test_whole_images_have_no_completeness_problem(tmp_path):
    from vescdoctor.images.completeness import completeness_problems

    for seed in range(8):
        for size in ("small", "release5", 200000):
            assert completeness_problems(imagegen.firmware("410", "5.03", size, seed=seed)) == []
    for path in sorted(FIRMWARE.glob("fw_*.bin")) if FIRMWARE.is_dir() else ():
        assert completeness_problems(path.read_bytes()) == [], path


@pytest.mark.skipif(not (FIRMWARE / "fw_410_2022-01.bin").is_file(), reason="../shared/firmware is absent")
def test_the_issues_truncated_release_is_refused(tmp_path, capsys):
    """`head -c 335000 fw_410_2022-01.bin > t.bin`: ended "Fix done: the board is healthy"."""
    cut_file = tmp_path / "t.bin"
    cut_file.write_bytes((FIRMWARE / "fw_410_2022-01.bin").read_bytes()[:335000])
    board = make(tmp_path, "app-erased")
    before = (board / "flash.bin").read_bytes()
    assert fix(board, tmp_path, "--firmware", str(cut_file), "--yes", *HW410) == 2
    assert "cut short" in capsys.readouterr().err
    assert (board / "flash.bin").read_bytes() == before


def test_a_release_sized_file_short_of_its_crc_words_is_refused(tmp_path, capsys):
    whole = imagegen.firmware("410", "5.03", "release5")
    short = tmp_path / "short.bin"
    short.write_bytes(whole[:-8])  # padding kept, the CRC words gone
    assert main(["inspect", str(short), "--json"]) == 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert any("CRC words at the end of a release are missing" in p for p in problems), problems
