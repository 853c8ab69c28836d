"""Issue 12, "Nothing lost, whatever the input": one test (or a few) per numbered item, each failing on the code
before the fix. The long fault matrix is bench/reliability.py; its bounded form is tests/test_reliability.py."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.sim import imagegen

from board_support import make
from testdata import FIRMWARE_DIR as FIRMWARE

HW410 = ("--answer", "hw=410")


def fix(board: Path, tmp_path: Path, *extra: str) -> int:
    return main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), *extra])


# -- 2. an image cut short is refused ------------------------------------------------------------------------------
@pytest.mark.parametrize("cut", [100000, 200000, 300000])
def test_a_cut_firmware_is_listed_by_inspect_and_refused_by_fix(tmp_path, capsys, cut):
    whole = imagegen.firmware("410", "5.03", "release5")
    cut_file = tmp_path / "t.bin"
    cut_file.write_bytes(whole[:cut])
    assert main(["inspect", str(cut_file), "--json"]) == 2  # an image cut short is bad input (the JSON still says why)
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
    assert main(["inspect", str(short), "--json"]) == 2
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


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_a_fix_report_never_lands_on_the_backup_it_made(tmp_path, capsys, images, monkeypatch):
    """--report BK/vesc-....bin: the backup's name is known only once the fix made it. The report is refused then,
    the backup kept, and the fix's outcome (done) unchanged; a later command is refused too."""
    from vescdoctor.fixes.steps import backup as backup_step

    board = make(tmp_path, "app-erased")
    chosen = tmp_path / "backups" / "vesc-chosen.bin"
    chosen.parent.mkdir()
    monkeypatch.setattr(backup_step, "unique_backup_path", lambda directory, uid, when: chosen)
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410, "--report", str(chosen)) == 0
    err = capsys.readouterr().err
    assert "the report could not be written" in err and "it is a vescdoctor backup" in err, err
    data = chosen.read_bytes()
    assert len(data) == 0x100000 and json.loads(chosen.with_suffix(".json").read_text())["file"] == chosen.name
    assert main(["diagnose", "--sim", str(board), "--report", str(chosen), "--force"]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert chosen.read_bytes() == data


# -- 13. one command per board ---------------------------------------------------------------------------------------
def _hold(board: Path, pid: int, command: str = "fix") -> Path:
    import socket

    lock = board / ".vescdoctor.lock"
    lock.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "command": command,
                                "started": "2026-12-04 12:00:00", "token": "other"}))
    return lock


@pytest.mark.parametrize("argv", [["diagnose"], ["fix", "--firmware", "FW", "--yes", *HW410], ["backup", "OUT"],
                                  ["restore", "BK", "--yes"]])
def test_a_second_command_on_a_busy_board_is_refused_before_it_touches_the_chip(tmp_path, capsys, images, argv):
    from vescdoctor.boardlock import BoardLock, sim_lock_path

    board = make(tmp_path, "app-erased")
    assert main(["backup", "--sim", str(board), str(tmp_path / "bk.bin")]) == 0
    before = (board / "flash.bin").read_bytes(), (board / "board.yaml").read_bytes()
    holder = BoardLock(sim_lock_path(board), "the board", "fix")  # this process, as a running fix would
    holder.acquire()
    try:
        argv = [{"FW": str(images["fw"]), "OUT": str(tmp_path / "out.bin"), "BK": str(tmp_path / "bk.bin")}
                .get(a, a) for a in argv]
        capsys.readouterr()
        assert main([argv[0], "--sim", str(board), *argv[1:]]) == 3
        err = capsys.readouterr().err
        assert "is in use by `vescdoctor fix` (pid" in err and "one vescdoctor command per board" in err, err
        assert "SWD" not in err  # refused before any probe ran
        assert ((board / "flash.bin").read_bytes(), (board / "board.yaml").read_bytes()) == before
        assert not (tmp_path / "out.bin").exists() and not list(tmp_path.glob("backups/*"))
    finally:
        holder.release()
    assert not sim_lock_path(board).exists()


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_a_stale_lock_is_taken_over_and_every_exit_releases_it(tmp_path, capsys, images):
    import subprocess
    import sys

    board = make(tmp_path, "app-erased")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    _hold(board, int(dead.stdout))  # that process has ended
    assert main(["diagnose", "--sim", str(board)]) == 1
    assert not (board / ".vescdoctor.lock").exists()
    # a refusal after the lock was taken (bad input, exit 2) releases it too
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 64)
    assert main(["fix", "--sim", str(board), "--firmware", str(bad), "--yes", *HW410]) == 2
    assert not (board / ".vescdoctor.lock").exists()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _hold(board, live.pid, "restore")
        assert main(["diagnose", "--sim", str(board)]) == 3
        assert f"`vescdoctor restore` (pid {live.pid}" in capsys.readouterr().err
    finally:
        live.kill()
        live.wait()
    assert main(["diagnose", "--sim", str(board)]) == 1  # its process is gone: taken over


def test_a_debug_probe_is_locked_by_its_unique_id(tmp_path, monkeypatch):
    from vescdoctor.boardlock import BoardBusy, board_lock, probe_lock_path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = probe_lock_path("stlink:066DFF48/3")
    assert path.name == "probe-stlink_066DFF48_3.lock" and str(tmp_path) in str(path)
    with board_lock(sim=None, probe="stlink:066DFF48/3", command="fix"):
        assert path.exists()
        with pytest.raises(BoardBusy, match="the debug probe stlink:066DFF48/3 is in use by `vescdoctor fix`"):
            with board_lock(sim=None, probe="stlink:066DFF48/3", command="diagnose"):
                pass
    assert not path.exists()


def test_two_identical_backups_never_share_a_name(tmp_path):
    from vescdoctor.fixes.backup import load_backup, save_backup

    path = tmp_path / "vesc-0123abcd-20261204-120000.bin"
    meta = {"board_uid": "00112233", "verdict": "app-missing"}
    first = save_backup(b"\x01" * 0x100000, path, dict(meta))
    second = save_backup(b"\x02" * 0x100000, path, dict(meta))  # the same second, the same board
    assert first["file"] != second["file"] and second["file"].endswith("-1.bin")
    assert load_backup(first["file"])[0] == b"\x01" * 0x100000
    assert load_backup(second["file"])[0] == b"\x02" * 0x100000
    with pytest.raises(Exception, match="never overwritten"):  # a name the user chose is never moved on
        save_backup(b"\x03" * 0x100000, tmp_path / "mine.bin", dict(meta)) and \
            save_backup(b"\x03" * 0x100000, tmp_path / "mine.bin", dict(meta))


# -- 11. a partial backup never looks like one -----------------------------------------------------------------------
@pytest.mark.parametrize("fail_on", [1, 2])
def test_a_full_disk_during_the_backup_leaves_no_backup_lookalike(tmp_path, capsys, images, monkeypatch, fail_on):
    import errno

    from vescdoctor.fixes import backup as backup_mod

    real_write = backup_mod._write_new
    calls = []

    def write_new(path, data):
        calls.append(path)
        if len(calls) == fail_on:  # 1: the flash image, 2: its sidecar
            with open(path, "xb") as f:
                f.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)
    monkeypatch.setattr(backup_mod, "_write_new", write_new)
    board = make(tmp_path, "app-erased")
    before = (board / "flash.bin").read_bytes()
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "no backup was kept" in err, err
    assert list((tmp_path / "backups").iterdir()) == []  # no .bin, no .json, no temporary file
    assert (board / "flash.bin").read_bytes() == before  # nothing written without a backup


# -- 10. writes retried like reads -----------------------------------------------------------------------------------
def test_retry_write_redoes_transient_errors_only_and_gives_up_saying_so():
    from pyocd.core import exceptions

    from vescdoctor.fixes.retry import WRITE_ATTEMPTS, GaveUp, retry_write

    target = type("T", (), {"reset_and_halt": lambda self: None})()
    calls, notes = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise exceptions.TransferError("AP parity error")
        return 42
    assert retry_write(target, "firmware", flaky, notes.append) == 42 and len(notes) == 2
    with pytest.raises(exceptions.TransferFaultError):  # protection: never retried
        retry_write(target, "firmware", lambda: (_ for _ in ()).throw(exceptions.TransferFaultError("fault")))
    calls.clear()

    def broken():
        calls.append(1)
        raise exceptions.TransferError("AP parity error")
    with pytest.raises(GaveUp, match=f"gave up writing the firmware: {WRITE_ATTEMPTS} tries"):
        retry_write(target, "firmware", broken)
    assert len(calls) == WRITE_ATTEMPTS


def test_a_transfer_error_in_the_cleanup_after_a_verify_mismatch_is_not_retried():
    """The algorithm's uninit runs in a `finally` after a verify mismatch; cut by the noisy wire, its TransferError
    is what Python raises, but the write failed on the mismatch: it must end there, not be written again."""
    from pyocd.core import exceptions

    from vescdoctor.fixes.flashops import VerifyError
    from vescdoctor.fixes.retry import retry_write

    target = type("T", (), {"reset_and_halt": lambda self: None})()
    calls = []

    def mismatch_then_cut_uninit():
        calls.append(1)
        try:
            raise VerifyError(0x08000000, 1, "firmware")
        finally:
            raise exceptions.TransferError("AP parity error")  # noqa: B012 - the cleanup's error, as in flashops
    with pytest.raises(exceptions.TransferError):
        retry_write(target, "firmware", mismatch_then_cut_uninit)
    assert len(calls) == 1


def test_retry_write_goes_on_while_tries_get_further_and_ends_when_they_stop_or_at_the_cap():
    from pyocd.core import exceptions

    from vescdoctor.fixes.retry import WRITE_ATTEMPTS, WRITE_CAP, WRITE_STALLED, GaveUp, Tally, retry_write

    target = type("T", (), {"reset_and_halt": lambda self: None, "is_halted": lambda self: True})()

    def writer(fail_tries: int, further_until: int):
        """An attempt cut `fail_tries` times, the first `further_until` of them after getting one more piece on."""
        calls = []

        def attempt():
            calls.append(1)
            tally.add(min(len(calls), further_until) * 0x4000)
            if len(calls) <= fail_tries:
                raise exceptions.TransferError("AP parity error")
            return len(calls)
        return attempt, calls

    tally = Tally()
    attempt, calls = writer(fail_tries=10, further_until=99)  # 10 cuts, each try further: finishes on the 11th
    assert retry_write(target, "firmware", attempt, tally=tally) == 11
    tally = Tally()
    attempt, calls = writer(fail_tries=99, further_until=5)  # further 5 times, then stuck: 3 more tries, then no more
    with pytest.raises(GaveUp, match=f"gave up writing the firmware: {5 + WRITE_STALLED} tries, each cut by an SWD "
                                     f"transfer error \\(the last {WRITE_STALLED} getting no more of it onto"):
        retry_write(target, "firmware", attempt, tally=tally)
    tally = Tally()
    attempt, calls = writer(fail_tries=99, further_until=99)  # further every time, never done: the cap ends it
    with pytest.raises(GaveUp, match=f"{WRITE_CAP} tries"):
        retry_write(target, "firmware", attempt, tally=tally)
    assert len(calls) == WRITE_CAP
    tally = Tally()
    attempt, calls = writer(fail_tries=99, further_until=0)  # nothing ever gets on: the tries a write always gets
    with pytest.raises(GaveUp):
        retry_write(target, "firmware", attempt, tally=tally)
    assert len(calls) == WRITE_ATTEMPTS
    with pytest.raises(exceptions.TransferFaultError):  # a bus fault is never retried, progress or not
        retry_write(target, "firmware", lambda: (tally.add(1), (_ for _ in ()).throw(
            exceptions.TransferFaultError("fault"))), tally=tally)


def test_a_reset_and_halt_or_an_identity_read_cut_on_the_wire_is_made_again():
    from pyocd.core import exceptions

    from vescdoctor.fixes.retry import RECOVER_ATTEMPTS, reset_and_halt
    from vescdoctor.target.chip_id import IDENTITY_TRIES, read_chip_identity

    class Wire:
        def __init__(self, cuts: int, error=exceptions.TransferError):
            self.cuts, self.calls, self.error = cuts, 0, error

        def _maybe_cut(self):
            self.calls += 1
            if self.calls <= self.cuts:
                raise self.error("AP parity error")

        def reset_and_halt(self):
            self._maybe_cut()

        def read32(self, addr):
            self._maybe_cut()
            return 0x10076413 if addr == 0xE0042000 else 0x410FC241

        def read16(self, addr):
            return 1024

        def read_memory_block8(self, addr, n):
            return [1] * n

    wire = Wire(RECOVER_ATTEMPTS - 1)
    reset_and_halt(wire)
    assert wire.calls == RECOVER_ATTEMPTS
    with pytest.raises(exceptions.TransferError):
        reset_and_halt(Wire(RECOVER_ATTEMPTS))
    with pytest.raises(exceptions.TransferFaultError):  # a bus fault: at once
        reset_and_halt(Wire(1, exceptions.TransferFaultError))
    assert read_chip_identity(Wire(IDENTITY_TRIES - 1)).flash_kib == 1024
    with pytest.raises(exceptions.TransferError):
        read_chip_identity(Wire(IDENTITY_TRIES))
    wire = Wire(1, exceptions.TransferFaultError)
    with pytest.raises(exceptions.TransferFaultError):
        read_chip_identity(wire)
    assert wire.calls == 1


def _noisy(tmp_path, scenario, rate, probe="stlink-v2"):
    board = make(tmp_path, scenario, faults=f"{{swd_error_rate: {rate}}}")
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("probe: stlink-v2", f"probe: {probe}"))
    return board


@pytest.mark.slow
@pytest.mark.parametrize("rate,seed", [(0.001, None), (0.003, None), (0.001, 5), (0.003, 3)])
def test_a_fix_over_a_flaky_st_link_finishes(tmp_path, capsys, images, monkeypatch, rate, seed):
    """swd_error_rate 0.001 on the ST-Link: the fix failed at the same step every run (before issue 12). Now it
    finishes in one run, and so does 0.003, where 4 tries of the write were not enough (8 are: each try is redone
    while it gets more of the image onto the chip, retry.retry_write). Noise seed 5 cut the connect step's identity
    read, seed 3 the backup step's reset and halt: both are tried again now. Seeds 1-8 of the bench's noise: 8 of 8
    finish in one run at 0.001 and at 0.003 (7 and 5 before; docs/reliability.md)."""
    if seed is not None:
        monkeypatch.setattr("vescdoctor.sim.faults.SWD_ERROR_SEED", seed)
    board = _noisy(tmp_path, "app-erased", rate)
    before = (board / "flash.bin").read_bytes()
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410) == 0, capsys.readouterr().err
    backup = sorted((tmp_path / "backups").glob("vesc-*.bin"))
    assert len(backup) == 1 and backup[0].read_bytes() == before


@pytest.mark.slow
def test_a_backup_over_a_flaky_cmsis_dap_completes(tmp_path, capsys):
    """CMSIS-DAP at 0.0001: 4 retries of a 64 KiB chunk failed the backup."""
    board = _noisy(tmp_path, "healthy", 0.0001, "cmsis-dap")
    before = (board / "flash.bin").read_bytes()
    assert main(["backup", "--sim", str(board), str(tmp_path / "bk.bin")]) == 0, capsys.readouterr().err
    assert (tmp_path / "bk.bin").read_bytes() == before


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_a_run_that_must_give_up_says_so_and_the_next_finishes(tmp_path, capsys, images):
    """0.02 on the ST-Link: the diagnosis and the backup get through (reads shrink their chunks), but no try of the
    write gets anything onto the chip (each is cut in the chip's CRC run or in its first piece), so after 4 the run
    gives up saying so. (At 0.003 the write now finishes, after 8 tries; at 0.005 some noise seeds finish.)"""
    board = _noisy(tmp_path, "app-erased", 0.02)
    before = (board / "flash.bin").read_bytes()
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410) in (1, 3)
    err = capsys.readouterr().err
    assert "gave up writing the firmware" in err and "run `vescdoctor fix` again" in err, err
    assert (board / "flash.bin").read_bytes() == before or sorted((tmp_path / "backups").glob("*.bin"))
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("faults: {swd_error_rate: 0.02}", "faults: {}"))
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410) == 0
    first = sorted((tmp_path / "backups").glob("vesc-*.bin"))[0]
    assert first.read_bytes() == before


# -- 4. devices, pipes, links to devices: a clear exit 2, at once ------------------------------------------------
def _cli(*argv: str, timeout: float = 30):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "vescdoctor", *argv], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
@pytest.mark.skipif(not Path("/dev/zero").exists() or not hasattr(__import__("os"), "mkfifo"),
                    reason="needs /dev/zero and FIFOs (POSIX)")
def test_devices_pipes_and_links_to_them_are_refused_at_once(tmp_path, images):
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for argv in (["rules", "check", "/dev/zero"], ["rules", "check", str(fifo)],
                 ["restore", "/dev/zero", "--yes"], ["report", "show", str(fifo)]):
        run = _cli(*argv)
        assert run.returncode == 2 and "not a regular file" in run.stderr, (argv, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    for victim in ("board.yaml", "flash.bin"):
        board = make(tmp_path, "healthy", name=f"b-{victim}")
        (board / victim).unlink()
        (board / victim).symlink_to("/dev/zero")
        run = _cli("diagnose", "--sim", str(board))
        assert run.returncode == 2 and "not a regular file (a device)" in run.stderr, run.stderr
        assert str(board / victim) in run.stderr


def test_a_rules_directory_file_too_large_is_refused_before_it_is_read(tmp_path, capsys):
    big = tmp_path / "huge.yaml"
    with open(big, "wb") as f:
        f.truncate(5 * 1024 * 1024)  # sparse: the size is seen before a byte is read
    assert main(["rules", "check", str(big)]) == 2
    assert "too large" in capsys.readouterr().err


# -- 5. every parser bounded: FILE:LINE, not RecursionError or ValueError ----------------------------------------
@pytest.mark.parametrize("condition,needle", [
    ("(" * 50000 + "x" + ")" * 50000, "too long"),
    ("not " * 50000 + "x", "too long"),
    ("x in " + "[" * 50000, "too long"),
    ("(" * 40 + "usb.dfu_present" + ")" * 40, "nested more than"),
    ("usb.dfu_present == " + "9" * 5000, "a number of 5000 digits"),
    (" and ".join(["usb.dfu_present"] * 5000), "too long"),
], ids=["50000 (", "50000 not", "50000 [", "40 (", "5000 digits", "5000 and"])
def test_hostile_conditions_give_file_line(tmp_path, capsys, condition, needle):
    from vescdoctor.graph.loader import builtin_rules_path

    text = (builtin_rules_path() / "triage.yaml").read_text()
    assert "{if: usb.dfu_present, add: dfu-mode}" in text
    graph = tmp_path / "triage.yaml"
    graph.write_text(text.replace("{if: usb.dfu_present, add: dfu-mode}", f"{{if: '{condition}', add: dfu-mode}}"))
    assert main(["rules", "check", str(graph)]) == 2
    err = capsys.readouterr().err
    assert needle in err and f"{graph}:48" in err and "internal error" not in err, err[:300]


@pytest.mark.parametrize("value,needle", [("9" * 5000, "longer than 30 digits"), ("[" * 50000, "nested too deep")],
                         ids=["5000 digits", "50000 ["])
def test_hostile_yaml_numbers_and_nesting_give_file_line(tmp_path, capsys, value, needle):
    board = make(tmp_path, "healthy")
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("bor: 3", f"bor: {value}"))
    assert main(["diagnose", "--sim", str(board)]) == 2
    err = capsys.readouterr().err
    assert needle in err and str(yaml) in err and "internal error" not in err, err[:300]


# -- 6. control characters never reach the terminal; hw bounded ------------------------------------------------------
ESCAPES = r'"\e]0;pwned\a\e[2J"'


def test_terminal_escapes_in_a_node_id_are_refused_with_file_line(tmp_path, capsys):
    from vescdoctor.graph.loader import builtin_rules_path

    text = (builtin_rules_path() / "triage.yaml").read_text()
    graph = tmp_path / "triage.yaml"
    graph.write_text(text.replace("{if: usb.dfu_present, add: dfu-mode}", f"{{if: usb.dfu_present, add: {ESCAPES}}}"))
    assert main(["rules", "check", str(graph)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "U+001B" in err and f"{graph}:48" in err, err


@pytest.mark.parametrize("hw,needle", [(ESCAPES, "U+001B"), ('"' + "4" * 1_000_000 + '"', "1..39 printable")],
                         ids=["escapes", "1 MB"])
def test_a_scenarios_hw_is_printable_and_short(tmp_path, capsys, hw, needle):
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(f"name: evil\ndescription: x\nboard: {{hw: {hw}}}\n")
    assert main(["sim", "create", str(scenario), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and needle in err and len(err) < 400, err[:400]


def test_a_message_quoting_a_files_text_is_escaped(capsys):
    from vescdoctor.errors import InputError
    from vescdoctor.textsafe import escaped

    assert escaped("a\x1b[2Jb\u202ec") == "a\\x1b[2Jb\\u202ec"
    assert "\x1b" not in escaped(InputError("node '\x1b]0;x\x07' bad", "f.yaml:3"))


# -- 7. closed stdin is "no terminal" --------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["fix", "restore"])
def test_closed_stdin_is_no_terminal(tmp_path, images, command):
    import subprocess
    import sys

    board = make(tmp_path, "app-erased")
    assert main(["backup", "--sim", str(board), str(tmp_path / "bk.bin")]) == 0
    before = (board / "flash.bin").read_bytes()
    argv = (["fix", "--sim", str(board), "--firmware", str(images["fw"]), *HW410,
             "--backup-dir", str(tmp_path / "backups")] if command == "fix" else
            ["restore", "--sim", str(board), str(tmp_path / "bk.bin"), "--backup-dir", str(tmp_path / "backups")])
    code = ("import sys, os; os.close(0); sys.stdin = None; from vescdoctor.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "pass --yes" in run.stderr and "internal error" not in run.stderr, run.stderr
    assert (board / "flash.bin").read_bytes() == before


# -- 8. chip_seconds finite ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_board_yaml_refuses_chip_seconds_nan_and_inf(tmp_path, capsys, value):
    board = make(tmp_path, "healthy")
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text() + f"chip_seconds: {value}\n")
    assert main(["diagnose", "--sim", str(board)]) == 2
    err = capsys.readouterr().err
    assert "chip_seconds" in err and "finite" in err and str(yaml) in err, err


# -- 12. messages say what is wrong; Ctrl+C names the backup ---------------------------------------------------------
def _hex(path: Path, address: int, data: bytes) -> Path:
    from intelhex import IntelHex

    ih = IntelHex()
    ih.frombytes(data, offset=address)
    ih.write_hex_file(str(path))
    return path


@pytest.mark.parametrize("address,needle", [(0x20000000, "in RAM, not flash"), (0x08200000, "outside the flash"),
                                            (0x00000000, "outside the flash")])
def test_a_hex_outside_flash_says_so(tmp_path, capsys, address, needle):
    fw = imagegen.firmware("410", "5.03", "small")
    image = _hex(tmp_path / "x.hex", address, fw)
    board = make(tmp_path, "app-erased")
    assert fix(board, tmp_path, "--firmware", str(image), "--yes", *HW410) == 2
    err = capsys.readouterr().err
    assert needle in err and "overlaps sector 11" not in err, err


def test_a_bootloader_given_as_firmware_says_it_is_a_bootloader(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("unit_test_images", Path(__file__).parents[1] / "unit" /
                                                  "test_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    write_elf = module.write_elf

    elf = write_elf(tmp_path / "bl.elf", [(0x080E0000, 0x080E0000, imagegen.bootloader())])
    board = make(tmp_path, "app-erased")
    assert fix(board, tmp_path, "--firmware", str(elf), "--yes", *HW410) == 2
    err = capsys.readouterr().err
    assert "this is a bootloader" in err and "--bootloader" in err and "overlaps sector 11" not in err, err


def test_ctrl_c_names_the_backup_made_so_far(tmp_path, capsys, images, monkeypatch):
    from vescdoctor.fixes import flashops

    def interrupt(*args, **kwargs):  # Ctrl+C as the firmware write starts, after the backup
        raise KeyboardInterrupt
    monkeypatch.setattr(flashops, "write_segments", interrupt)
    board = make(tmp_path, "app-erased")
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *HW410) == 130
    err = capsys.readouterr().err.strip().splitlines()[-1]
    backup = sorted((tmp_path / "backups").glob("vesc-*.bin"))[0]
    assert err.startswith("vescdoctor: interrupted") and str(backup) in err and "again" in err, err
