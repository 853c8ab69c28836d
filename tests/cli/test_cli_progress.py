"""The CLI's progress (commands/progress.py: Rich on a terminal, plain lines otherwise), --verbose/--quiet, and
shell completion (shtab)."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from vescdoctor.cli import main
from vescdoctor.commands.progress import ConsoleProgress
from vescdoctor.fixes.execute import FixEvent


def _run(progress: ConsoleProgress) -> None:
    progress(FixEvent("phase", "backup", None, "reading the whole flash"))
    for i in range(101):
        progress(FixEvent("progress", "backup", i / 100, ""))
    progress(FixEvent("log", "backup", None, "saved"))
    progress(FixEvent("phase", "erase", None, "erasing sector 11", writing=True))
    for i in range(11):
        progress(FixEvent("progress", "erase", i / 10, "", writing=True))
    progress.close()


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    _run(ConsoleProgress(out))
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    assert "[backup] reading the whole flash" in text and "[erase] erasing sector 11 - do not unplug" in text
    assert "  backup   100%" in text and "  erase    100%" in text and "  saved" in text
    assert len(text.splitlines()) <= 8  # not a line per event


def test_a_phase_of_known_size_shows_its_rate():
    out = io.StringIO()
    progress = ConsoleProgress(out, phase_bytes={"backup": 1024 * 1024})
    progress(FixEvent("phase", "backup", None, "reading"))
    progress(FixEvent("progress", "backup", 0.0, ""))
    progress.started -= 2.0  # as if the read took 2 s
    progress(FixEvent("progress", "backup", 1.0, ""))
    assert "  backup   100%  (2.0 s, 512 KiB/s)" in out.getvalue()


def test_quiet_keeps_only_the_phases():
    out = io.StringIO()
    _run(ConsoleProgress(out, quiet=True))
    assert out.getvalue().splitlines() == ["[backup] reading the whole flash",
                                           "[erase] erasing sector 11 - do not unplug"]


def test_rich_bars_on_a_terminal_with_elapsed_and_eta():
    out = io.StringIO()
    progress = ConsoleProgress(out, force_terminal=True)
    progress.progress.console.force_terminal = True  # a StringIO is no terminal; draw as on one
    _run(progress)
    text = out.getvalue()
    assert "[backup] reading the whole flash" in text and "ETA" in text and "100%" in text


def test_verbose_and_quiet_are_flags_of_every_command(capsys):
    assert main(["wiring", "--quiet", "--probe", "cmsis-dap"]) == 0
    assert main(["-v", "wiring", "--probe", "cmsis-dap"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["wiring", "--quiet", "--verbose"])
    assert exc.value.code == 2


def test_quiet_diagnose_prints_no_transcript(tmp_path, capsys):
    board = tmp_path / "b"
    assert main(["sim", "create", "healthy", str(board)]) == 0
    capsys.readouterr()
    assert main(["diagnose", "--sim", str(board), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "SWD:" not in captured.err and "Verdict: healthy" in captured.out


@pytest.mark.parametrize("shell", ["bash", "zsh", "tcsh", "fish", "powershell"])
def test_completion_scripts(shell, capsys):
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "vescdoctor" in script and "wiring" in script and "stlink-v2-clone" in script


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_bash_completes_a_command(tmp_path, capsys):
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "c.bash"
    script.write_text(capsys.readouterr().out)
    probe = (f'source "{script}"; COMP_WORDS=(vescdoctor wir); COMP_CWORD=1; COMP_LINE="vescdoctor wir"; '
             'COMP_POINT=${#COMP_LINE}; _shtab_vescdoctor; echo "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["wiring"]


def test_a_verbose_run_leaves_no_log_handler_behind(capsys):
    import logging

    logger = logging.getLogger("vescdoctor")
    level, handlers = logger.level, list(logger.handlers)
    assert main(["--verbose", "wiring", "--probe", "cmsis-dap"]) == 0
    assert len(logger.handlers) == len(handlers) + 1
    assert main(["wiring", "--probe", "cmsis-dap"]) == 0
    assert logger.handlers == handlers and logger.level == level
