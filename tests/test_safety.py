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


# -- 3. no output written over a file this run did not create --------------------------------------------------------
def test_report_over_an_existing_file_needs_force(tmp_path, capsys):
    board = make(tmp_path, "healthy")
    mine = tmp_path / "notes.txt"
    mine.write_text("my notes\n")
    assert main(["diagnose", "--sim", str(board), "--report", str(mine)]) == 2
    err = capsys.readouterr().err
    assert "exists already" in err and "--force" in err and str(mine) in err
    assert mine.read_text() == "my notes\n"
    assert main(["diagnose", "--sim", str(board), "--report", str(mine), "--force"]) == 0
    assert json.loads(mine.read_text())["format"] == "vescdoctor-report"


@pytest.mark.parametrize("victim", ["flash.bin", "board.yaml", "firmware", "link-to-flash"])
def test_never_onto_an_input_or_the_boards_flash_even_with_force(tmp_path, capsys, images, victim):
    board = make(tmp_path, "app-erased")
    if victim == "firmware":
        target = images["fw"]
    elif victim == "link-to-flash":
        target = tmp_path / "innocent.json"
        target.symlink_to(board / "flash.bin")
    else:
        target = board / victim
    before = {p: p.read_bytes() for p in (board / "flash.bin", board / "board.yaml", images["fw"])}
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410, "--report", str(target),
               "--force") == 2
    err = capsys.readouterr().err
    assert "never overwritten, even with --force" in err, err
    assert all(p.read_bytes() == data for p, data in before.items())


def test_report_show_never_onto_the_report_itself_or_a_backup(tmp_path, capsys):
    board = make(tmp_path, "healthy")
    report = tmp_path / "r.json"
    assert main(["diagnose", "--sim", str(board), "--report", str(report)]) == 0
    assert main(["backup", "--sim", str(board), str(tmp_path / "bk.bin")]) == 0
    capsys.readouterr()
    for target in (report, tmp_path / "bk.bin", tmp_path / "bk.json"):
        before = target.read_bytes()
        assert main(["report", "show", str(report), "--output", str(target), "--force"]) == 2
        assert "never overwritten" in capsys.readouterr().err
        assert target.read_bytes() == before
    out = tmp_path / "r.md"
    out.write_text("old")
    assert main(["report", "show", str(report), "--output", str(out)]) == 2
    assert out.read_text() == "old"
    assert main(["report", "show", str(report), "--output", str(out), "--force"]) == 0
    assert out.read_text().startswith("#")


def test_a_fix_report_never_lands_on_the_backup_it_made(tmp_path, capsys, images, monkeypatch):
    """--report BK/vesc-....bin: the backup's name is known only once the fix made it. The report is refused then,
    the backup kept, and the fix's outcome (done) unchanged; a later command is refused too."""
    from vescdoctor.fixes import execute

    board = make(tmp_path, "app-erased")
    chosen = tmp_path / "backups" / "vesc-chosen.bin"
    chosen.parent.mkdir()
    monkeypatch.setattr(execute, "unique_backup_path", lambda directory, uid, when: chosen)
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410, "--report", str(chosen)) == 0
    err = capsys.readouterr().err
    assert "the report could not be written" in err and "it is a vescdoctor backup" in err, err
    data = chosen.read_bytes()
    assert len(data) == 0x100000 and json.loads(chosen.with_suffix(".json").read_text())["file"] == chosen.name
    assert main(["diagnose", "--sim", str(board), "--report", str(chosen), "--force"]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert chosen.read_bytes() == data
