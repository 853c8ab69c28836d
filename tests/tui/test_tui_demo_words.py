"""The demo (and a simulated board) in its own words: a plain `vescdoctor` or `vescdoctor fix` looks for real hardware
(no probe: exit 3), so every message on that path that says to run vescdoctor again names the board's own command
instead, not beside the engine's words."""
from __future__ import annotations

import ast
import asyncio
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from vescdoctor.tui.wording import own_command

ROOT = Path(__file__).resolve().parents[2]
CMD = "vescdoctor fix --sim /tmp/demo/bricked-update --bootloader /tmp/demo/bl.bin"
# Loosely: vescdoctor, then a few words, then "again" (not the implementation's pattern, so a new way of saying it
# shows up here). Not instructions to run vescdoctor on this board: other commands, and what the report tells.
SAYS_AGAIN = re.compile(r"vescdoctor\b[^.;:\n]{0,25}?\bagain")
NOT_THIS_BOARD = ("vescdoctor doctor", "vescdoctor restore", "looked at the board again")
# The modules whose words the TUI shows on the demo's path (the CLI's own words live in commands/).
SHOWN = ("vescdoctor/tui", "vescdoctor/fixes", "vescdoctor/usbrepair", "vescdoctor/knowledge/wiring.py",
         "vescdoctor/report/summary.py", "vescdoctor/errors.py", "vescdoctor/flows.py")


def _strings(path: Path) -> list[str]:
    """The string constants of a module, docstrings left out (they speak to programmers)."""
    tree = ast.parse(path.read_text())
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def _graph_steps() -> list[str]:
    steps: list[str] = []
    for node in (yaml.safe_load((ROOT / "rules" / "triage.yaml").read_text()).get("nodes") or {}).values():
        if isinstance(node, dict):
            steps += [str(step) for step in node.get("next_steps") or ()]
    return steps


def _messages() -> list[str]:
    found = []
    for place in SHOWN:
        for path in sorted((ROOT / place).rglob("*.py")) if (ROOT / place).is_dir() else [ROOT / place]:
            found += [s for s in _strings(path) if SAYS_AGAIN.search(s)]
    found += [" ".join(s.split()) for s in _graph_steps() if SAYS_AGAIN.search(" ".join(s.split()))]
    return found


def _left(text: str) -> list[str]:
    return [m.group(0) for m in SAYS_AGAIN.finditer(text) if not any(n in text[max(0, m.start() - 5):m.end() + 25]
                                                                      for n in NOT_THIS_BOARD)]


def test_every_run_again_message_gets_the_boards_own_command():
    messages = _messages()
    assert len(messages) >= 10, messages  # the engine's, the graph's and the TUI's: the scan found them
    for message in messages:
        said = own_command(message, CMD)
        assert not _left(said), (message, said)
        if _left(message):
            assert CMD in said, (message, said)


@pytest.mark.parametrize("message, expected", [
    ("write-bootloader failed: x; run vescdoctor again to finish (it picks up where this stopped)",
     f"write-bootloader failed: x; run {CMD} to finish (it picks up where this stopped)"),
    ("then run `vescdoctor fix` again (the vector table is written last)",
     f"then run {CMD} (the vector table is written last)"),
    ("the backup made first is kept, and running vescdoctor again finishes the job.",
     f"the backup made first is kept, and running {CMD} finishes the job."),
    ("Run `vescdoctor doctor` to check, then vescdoctor again.", f"Run `vescdoctor doctor` to check, then {CMD}."),
    ("Run vescdoctor (or VESC Tool) again.", f"Run {CMD} (or VESC Tool)."),
])
def test_own_command_says_it_in_place(message, expected):
    assert own_command(message, CMD) == expected
    assert own_command(message, None) == message  # real hardware: "run vescdoctor again" is right as it is


def test_the_demos_command_goes_on_with_its_board_and_images(tmp_path, monkeypatch):
    """`vescdoctor demo` hands the app the CLI fix on its own board with its own images, one line; `vescdoctor --sim
    B` the TUI on B; plain `vescdoctor` nothing (the words are right there)."""
    from vescdoctor.commands import tui as tui_command

    seen = []
    monkeypatch.setattr("vescdoctor.tui.app.VescDoctorApp.run", lambda self: seen.append(self.again_command) or 0)
    monkeypatch.setattr("tempfile.mkdtemp", lambda prefix="": str(tmp_path))
    tui_command.run(SimpleNamespace(command="demo"))
    board = tmp_path / "bricked-update"
    assert seen[-1].startswith(f"vescdoctor fix --sim {board} --bootloader ") and "\n" not in seen[-1]
    assert f"--firmware {tmp_path}" in seen[-1] and f"--backup-dir {tmp_path / 'backups'}" in seen[-1]
    tui_command.run(SimpleNamespace(command=None, sim=str(board), probe=None))
    assert seen[-1] == f"vescdoctor --sim {board}"
    assert tui_command.tui_again(None, None) is None


def test_the_demos_summary_after_a_cut_short_repair_names_its_command(tmp_path, monkeypatch, capsys):
    """What `vescdoctor demo` prints once the screen is gone, after a repair that did not complete."""
    from vescdoctor.commands import tui as tui_command
    from vescdoctor.fixes.execute import FixOutcome, Resume

    def run(self):
        self.plan = object()
        self.outcome = FixOutcome(ok=False, message="write-firmware failed: the probe went away",
                                  resume=Resume.FINISH)
        return 1

    monkeypatch.setattr("vescdoctor.tui.app.VescDoctorApp.run", run)
    monkeypatch.setattr("vescdoctor.tui.app.VescDoctorApp.save_report", lambda self, path=None: None)
    monkeypatch.setattr("tempfile.mkdtemp", lambda prefix="": str(tmp_path))
    assert tui_command.run(SimpleNamespace(command="demo")) == 1
    err = capsys.readouterr().err
    assert f"run vescdoctor fix --sim {tmp_path / 'bricked-update'} " in err, err
    assert not _left(err) and "`vescdoctor fix`" not in err, err


# -- On screen, in the demo: the end, the quit question, the wiring's rules ------------------------------------

@pytest.mark.slow
def test_the_demo_screens_name_the_demos_command(tmp_path, monkeypatch):
    from vescdoctor.fixes.execute import FixOutcome, Resume

    from tui_support import SIZE, StandInEvent, demo_app, screen_name, stand_in, until_verdict, wait_for

    writing, release = threading.Event(), threading.Event()

    def script(on_event, backup_dir):
        on_event(StandInEvent("phase", "erase", 0.0, "erasing the sectors the bootloader needs", True))
        writing.set()
        release.wait(30)
        return FixOutcome(ok=False, actions=[{"step": "write-bootloader", "ok": False, "error": "cut"}],
                          message="write-bootloader failed: gave up; then run `vescdoctor fix` again",
                          resume=Resume.FINISH)

    stand_in(monkeypatch, script)
    seen: dict[str, str] = {}

    async def walk(app):
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: screen_name(app) == "WiringScreen")
            seen["wiring"] = str(app.screen.query_one("#wiring-rules").render())
            await pilot.press("escape")
            await until_verdict(pilot)
            await wait_for(pilot, lambda: getattr(app.focused, "id", None) == "step-verdict", what="Show the verdict")
            await pilot.press("enter")
            await wait_for(pilot, lambda: getattr(app.focused, "id", None) == "fix-go", what="the verdict")
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: writing.is_set() and app.writing, what="the write")
            await pilot.press("q")
            await wait_for(pilot, lambda: screen_name(app) == "QuitWhileWriting", what="the quit question")
            seen["quit"] = str(app.screen.query_one("#quit-text").render())
            await pilot.press("escape")  # keep going
            release.set()
            await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
            seen["end"] = str(app.screen.query_one("#end-text").render())
            await pilot.press("ctrl+q")

    app, _ = demo_app(tmp_path)
    app.again_command = CMD
    try:
        asyncio.run(walk(app))
    finally:
        release.set()
    seen["summary"] = app.repair_summary()
    for where, text in seen.items():
        flat = " ".join(text.split())
        assert CMD in flat and not _left(flat) and "`vescdoctor fix`" not in flat, (where, text)
