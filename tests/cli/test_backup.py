"""`vescdoctor backup` and `restore` on a simulated board: the whole flash, a sidecar, never overwritten."""
from __future__ import annotations

import hashlib
import json

import pytest

from vescdoctor.cli import main
from vescdoctor.sim import imagegen
from vescdoctor.sim.scenario import build_board, find_scenario

from board_support import error_lines, make


@pytest.mark.slow
def test_backup_then_restore_config_only(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    board = tmp_path / "board"
    build_board(find_scenario("healthy"), board)
    original = (board / "flash.bin").read_bytes()
    out = tmp_path / "b.bin"
    assert main(["backup", "--sim", str(board), str(out)]) == 0
    assert out.read_bytes() == original
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["sha256"] == hashlib.sha256(original).hexdigest() and meta["board_uid"]
    assert meta["option_bytes"]["rdp_level"] == 0
    assert main(["backup", "--sim", str(board), str(out)]) == 2  # never overwritten
    assert out.read_bytes() == original

    changed = bytearray(original)
    changed[0x4000:0x4010] = b"\x00" * 16  # the config changes
    changed[0x20000:0x20010] = b"\x00" * 16  # and so does the app
    (board / "flash.bin").write_bytes(bytes(changed))
    assert main(["restore", "--sim", str(board), str(out), "--config-only"]) == 2  # no --yes, no TTY
    assert main(["restore", "--sim", str(board), str(out), "--config-only", "--yes"]) == 0
    now = (board / "flash.bin").read_bytes()
    assert now[0x4000:0xC000] == original[0x4000:0xC000]
    assert now[0x20000:0x20010] == b"\x00" * 16  # only sectors 1-2 were restored
    assert list((tmp_path / "data" / "vescdoctor" / "backups").glob("*.bin"))  # the state before was saved


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, capsys):
    board = tmp_path / "board"
    build_board(find_scenario("healthy"), board)
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"\x00" * 100)
    assert main(["restore", "--sim", str(board), str(bad), "--yes"]) == 2
    assert "not a vescdoctor backup" in capsys.readouterr().err


def test_board_hw_from_backups_trusts_the_record_not_a_wrong_hardware_firmware(tmp_path):
    from datetime import datetime

    from vescdoctor.fixes.backup import hw_from_backups, save_backup, unique_backup_path

    uid = "3A0013003138"
    flash = bytearray(b"\xff" * 0x100000)
    fw60 = imagegen.firmware("60", "5.03", "small")
    flash[:len(fw60)] = fw60
    save_backup(bytes(flash), unique_backup_path(tmp_path, uid, datetime(2026, 1, 1)),
                {"board_uid": uid, "verdict": "wrong-hardware-firmware"})
    assert hw_from_backups(tmp_path, uid) == (None, None)  # HW 60 firmware on this board says nothing of the board
    save_backup(bytes(flash), unique_backup_path(tmp_path, uid, datetime(2026, 1, 2)),
                {"board_uid": uid, "verdict": "app-missing"})
    strong, hint = hw_from_backups(tmp_path, uid)
    assert strong is None and hint[0] == "60"  # a backup's firmware is a hint: what was installed, not the board
    save_backup(bytes(flash), unique_backup_path(tmp_path, uid, datetime(2026, 1, 3)),
                {"board_uid": uid, "verdict": "wrong-hardware-firmware", "board_hw": "410",
                 "board_hw_source": "answer"})
    assert hw_from_backups(tmp_path, uid)[0][0] == "410"  # the newest: the HW the fix recorded from your answer
    assert hw_from_backups(tmp_path, "another-board") == (None, None)
    assert uid.lower()[:8] not in " ".join(p.name.lower() for p in tmp_path.iterdir())  # names don't carry the UID


def test_backups_made_within_one_second_keep_their_order(tmp_path):
    """Two fixes in the same second: the second backup is STEM-1.bin, which a plain name sort puts first. The
    newest backup's record must win, and the oldest backup is still the flash before any write."""
    from datetime import datetime

    from vescdoctor.fixes.backup import chronological, hw_from_backups, save_backup, unique_backup_path

    uid = "3A0013003138"
    flash = b"\xff" * 0x100000
    when = datetime(2026, 1, 1, 12, 0, 0)
    names = []
    for hw in ("60", "410", "75_300"):
        path = unique_backup_path(tmp_path, uid, when)
        save_backup(flash, path, {"board_uid": uid, "verdict": "app-missing", "board_hw": hw,
                                  "board_hw_source": "answer"})
        names.append(path.name)
    assert names[1].endswith("-1.bin") and names[2].endswith("-2.bin")
    assert [p.name for p in chronological(tmp_path.glob("*.bin"))] == names
    assert hw_from_backups(tmp_path, uid)[0][0] == "75_300"


@pytest.mark.slow
def test_interrupted_restore_names_the_safety_backup(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    board = make(tmp_path, "healthy")
    backup = tmp_path / "saved.bin"
    assert main(["backup", "--sim", str(board), str(backup)]) == 0
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("faults: {}", "faults: {probe_unplug_after_bytes: 5000}"))
    capsys.readouterr()
    assert main(["restore", "--sim", str(board), str(backup), "--yes"]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    lines = error_lines(err)
    assert len(lines) == 1 and lines[0].startswith("vescdoctor: restore did not complete")
    assert "debug probe was lost" in lines[0]
    safety = sorted((tmp_path / "data" / "vescdoctor" / "backups").glob("*.bin"))
    assert len(safety) == 1 and str(safety[0]) in lines[0]
    assert safety[0].read_bytes() == backup.read_bytes()  # the flash as it was before the restore


def test_restore_reads_its_safety_backup_once_proven_by_the_chip(tmp_path, capsys, monkeypatch):
    """The safety backup before a restore is read once and proven by pyOCD's on-chip CRCs (the restore halts the
    core to write anyway), not read twice; erased blocks are not read at all."""
    from vescdoctor.target import flash_reader

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    board = tmp_path / "board"
    build_board(find_scenario("healthy"), board)
    original = (board / "flash.bin").read_bytes()
    out = tmp_path / "b.bin"
    assert main(["backup", "--sim", str(board), str(out)]) == 0
    seen: list[tuple[bool, int]] = []
    proven = flash_reader.read_proven

    def counting(target, addr, size, read, *, chip_ok, known=None):
        got = [0]

        def counted(a, n):
            got[0] += n
            return read(a, n)
        data = proven(target, addr, size, counted, chip_ok=chip_ok, known=known)
        seen.append((chip_ok, got[0]))
        return data
    monkeypatch.setattr(flash_reader, "read_proven", counting)
    assert main(["restore", "--sim", str(board), str(out), "--config-only", "--yes"]) == 0
    used = len(original) - sum(0x4000 for a in range(0, len(original), 0x4000)
                               if original[a:a + 0x4000] == b"\xff" * 0x4000)
    assert seen == [(True, used)]
    safety = list((tmp_path / "data" / "vescdoctor" / "backups").glob("*.bin"))
    assert [p.read_bytes() == original for p in safety] == [True]


@pytest.mark.parametrize("scenario, once", [("bricked-update", True), ("healthy", False)])
def test_a_backup_of_a_chip_where_nothing_runs_is_one_proven_read(tmp_path, monkeypatch, scenario, once):
    """`vescdoctor backup`: behind an erased vector table nothing runs, so the core is halted and the chip's CRCs
    prove one read (erased blocks not read); a chip with firmware is only read, twice."""
    from vescdoctor.target import flash_reader

    board = tmp_path / "board"
    build_board(find_scenario(scenario), board)
    original = (board / "flash.bin").read_bytes()
    seen: list[tuple[bool, int]] = []
    proven = flash_reader.read_proven

    def counting(target, addr, size, read, *, chip_ok, known=None):
        got = [0]

        def counted(a, n):
            got[0] += n
            return read(a, n)
        data = proven(target, addr, size, counted, chip_ok=chip_ok, known=known)
        seen.append((chip_ok, got[0]))
        return data
    monkeypatch.setattr(flash_reader, "read_proven", counting)
    out = tmp_path / "b.bin"
    assert main(["backup", "--sim", str(board), str(out)]) == 0
    assert out.read_bytes() == original
    used = len(original) - sum(0x4000 for a in range(0, len(original), 0x4000)
                               if original[a:a + 0x4000] == b"\xff" * 0x4000)
    assert seen == ([(True, used)] if once else [(False, 2 * len(original))])
