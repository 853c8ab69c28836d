"""`vescdoctor fix` on a terminal asks before it erases: the plan and the backup folder are shown, anything but
'yes' changes nothing, 'yes' repairs. Run as a rider would: the real command on a pseudo-terminal."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest

from vescdoctor.sim import imagegen
from vescdoctor.sim.scenario import build_board, find_scenario

pty = pytest.importorskip("pty", reason="a pseudo-terminal is Unix-only; Windows consoles are not ptys")


def run_on_terminal(args: list[str], reply: str, timeout: float = 60.0, stderr=None) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "vescdoctor", *args], stdin=slave, stdout=slave,
                            stderr=slave if stderr is None else stderr, close_fds=True)
    os.close(slave)
    seen, replied, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if not replied and b"Type 'yes'" in seen:
                os.write(master, reply.encode() + b"\n")
                replied = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, seen.decode(errors="replace")


@pytest.mark.slow
def test_terminal_consent(tmp_path):
    board, backups = tmp_path / "board", tmp_path / "backups"
    build_board(find_scenario("bricked-update"), board)
    (tmp_path / "bl.bin").write_bytes(imagegen.bootloader())
    (tmp_path / "fw.bin").write_bytes(imagegen.firmware("410", "5.03", "release5"))
    args = ["fix", "--sim", str(board), "--bootloader", str(tmp_path / "bl.bin"), "--firmware",
            str(tmp_path / "fw.bin"), "--backup-dir", str(backups), "--answer", "hw=410"]
    before = (board / "flash.bin").read_bytes()

    code, screen = run_on_terminal(args, "no")
    assert code == 1, screen[-2000:]  # declined: the fix did not run (2 is for bad input)
    assert "Sectors to erase: 11 (0x080E0000" in screen and str(backups) in screen
    assert "not confirmed; nothing was changed" in screen and "Traceback" not in screen
    assert (board / "flash.bin").read_bytes() == before
    assert not backups.exists() or not any(backups.iterdir())

    code, screen = run_on_terminal(args, "yes")
    assert code == 0, screen[-2000:]
    assert "healthy" in screen
    assert len(list(backups.glob("*.bin"))) == 1


@pytest.mark.slow
def test_restore_declined_on_a_terminal_is_exit_1_and_changes_nothing(tmp_path):
    board = tmp_path / "board"
    build_board(find_scenario("healthy"), board)
    saved = tmp_path / "saved.bin"
    from vescdoctor.cli import main

    assert main(["backup", "--sim", str(board), str(saved)]) == 0
    before = (board / "flash.bin").read_bytes()
    code, screen = run_on_terminal(["restore", "--sim", str(board), str(saved), "--backup-dir",
                                    str(tmp_path / "safety")], "no")
    assert code == 1, screen[-2000:]  # declined: the restore did not run (2 is for bad input)
    assert "not confirmed; nothing was changed" in screen and "Traceback" not in screen
    assert (board / "flash.bin").read_bytes() == before


@pytest.mark.slow
def test_terminal_consent_with_stderr_redirected(tmp_path):
    """`vescdoctor fix ... 2> log` on a terminal still asks (on stdout), and 'no' changes nothing."""
    board, backups = tmp_path / "board", tmp_path / "backups"
    build_board(find_scenario("bricked-update"), board)
    (tmp_path / "bl.bin").write_bytes(imagegen.bootloader())
    (tmp_path / "fw.bin").write_bytes(imagegen.firmware("410", "5.03", "release5"))
    before = (board / "flash.bin").read_bytes()
    with open(tmp_path / "log.txt", "wb") as log:
        code, screen = run_on_terminal(["fix", "--sim", str(board), "--bootloader", str(tmp_path / "bl.bin"),
                                        "--firmware", str(tmp_path / "fw.bin"), "--backup-dir", str(backups),
                                        "--answer", "hw=410"], "no", stderr=log)
    assert code == 1, (tmp_path / "log.txt").read_text()[-2000:]
    assert "Type 'yes' to go ahead" in screen and "Sectors to erase: 11" in screen
    assert "pass --yes" not in (tmp_path / "log.txt").read_text()
    assert (board / "flash.bin").read_bytes() == before
