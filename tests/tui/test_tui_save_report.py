"""Save report in the TUI: a bad place is one line on screen and the app goes on; `~` is the home directory."""
from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from tui_support import (
    SIZE,
    demo_app,
    enter_to_verdict,
    record_notes,
    screen_name,
    stand_in,
    start_repair,
    wait_for,
)

pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)

# -- Save report: a bad place is one line on screen, `~` is the home directory -------------------------------

def test_save_report_on_the_verdict_screen_to_a_bad_place_says_so_and_goes_on(tmp_path):
    asyncio.run(_save_verdict_bad(tmp_path))


async def _save_verdict_bad(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    app, _ = demo_app(tmp_path, report_path=blocker / "report.json")
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        app.screen.query_one("#save-report").press()
        await wait_for(pilot, lambda: screen_name(app) == "SaveReportScreen", what="where to save")
        await pilot.press("enter")  # the place suggested, chosen
        await pilot.pause(0.2)
        assert screen_name(app) == "VerdictScreen", "the app keeps running"
        errors = [m for sev, m in notes if sev == "error"]
        assert len(errors) == 1 and "cannot write" in errors[0] and "\n" not in errors[0], notes
        assert app.report_written is None and app.report_error == errors[0]
        await pilot.press("ctrl+q")
    assert app.return_code == 0


def test_save_report_expands_the_home_directory(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    asyncio.run(_save_verdict_home(tmp_path, home))


async def _save_verdict_home(tmp_path, home):
    app, _ = demo_app(tmp_path, report_path="~/verdict-report.json")
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        app.screen.query_one("#save-report").press()
        await wait_for(pilot, lambda: screen_name(app) == "SaveReportScreen", what="where to save")
        await pilot.press("enter")  # the place suggested, chosen
        await pilot.pause(0.2)
        assert app.report_written == home / "verdict-report.json", notes
        assert (home / "verdict-report.json").is_file()
        assert not [m for sev, m in notes if sev == "error"]
        await pilot.press("ctrl+q")


def test_save_report_on_the_end_screen_bad_place_then_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    stand_in(monkeypatch, lambda on_event, backup_dir: SimpleNamespace(
        ok=True, actions=[{"step": "backup", "ok": True}], backups=[], message="stand-in done", after=None))
    asyncio.run(_save_end(tmp_path, home))


async def _save_end(tmp_path, home):
    app, _ = demo_app(tmp_path)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await start_repair(pilot)
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
        field = app.screen.query_one("#report-path")
        for bad in (str(tmp_path / "no-such-dir" / "r.json"), str(tmp_path)):
            field.value = bad
            field.focus()
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert screen_name(app) == "EndScreen", "the app keeps running"
            assert notes and notes[-1][0] == "error" and "cannot write" in notes[-1][1], notes
        assert app.report_written is None
        field.value = "~/end-report.json"
        app.screen.query_one("#end-save").press()
        await pilot.pause(0.2)
        assert app.report_written == home / "end-report.json"
        assert json.loads((home / "end-report.json").read_text())["command"] == "tui"
        await pilot.press("ctrl+q")  # the report field has the focus: `q` would be a letter
    assert app.return_code == 0


def test_the_end_screen_saves_the_paste_ready_summary_where_the_rider_chooses(tmp_path, monkeypatch):
    stand_in(monkeypatch, lambda on_event, backup_dir: SimpleNamespace(
        ok=True, actions=[{"step": "backup", "ok": True}], backups=[], message="stand-in done", after=None))

    async def run():
        app, _ = demo_app(tmp_path, report_path=tmp_path / "out" / "report.json")
        (tmp_path / "out").mkdir()
        async with app.run_test(size=SIZE) as pilot:
            await start_repair(pilot)
            await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
            app.screen.query_one("#end-summary").press()
            await wait_for(pilot, lambda: screen_name(app) == "SaveReportScreen", what="where to save")
            assert not list((tmp_path / "out").iterdir()), "nothing written before the rider chose"
            field = app.screen.query_one("#save-path")
            assert field.value == str(tmp_path / "out" / "report-summary.txt")
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "EndScreen")
            await pilot.press("ctrl+q")
        return app

    asyncio.run(run())
    text = (tmp_path / "out" / "report-summary.txt").read_text()
    assert text.startswith("vescdoctor: ") and len(text.splitlines()) < 40, text
    assert not (tmp_path / "out" / "report.json").exists()


def test_the_demos_end_screen_gives_the_demos_own_command(tmp_path, monkeypatch):
    """`run vescdoctor again` would look for real hardware: the demo says how to go on with its own board."""
    from vescdoctor.fixes.execute import FixOutcome, Resume

    stand_in(monkeypatch, lambda on_event, backup_dir: FixOutcome(
        ok=False, actions=[{"step": "backup", "ok": False, "error": "lost"}], message="backup failed: lost",
        resume=Resume.FINISH))

    async def run():
        app, demo = demo_app(tmp_path)
        app.again_command = "vescdoctor fix --sim BOARD"
        async with app.run_test(size=SIZE) as pilot:
            await start_repair(pilot)
            await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
            said = " ".join(str(app.screen.query_one("#end-text").render()).split())
            assert "run vescdoctor fix --sim BOARD to finish" in said  # instead of the engine's words, not beside
            assert "vescdoctor again" not in said and not app.screen.query("#end-again")
            await pilot.press("ctrl+q")

    asyncio.run(run())


def test_the_demo_command_sets_its_own_command(tmp_path, monkeypatch):
    from vescdoctor.commands import tui as tui_command

    seen = {}

    def fake_run(self):
        seen["again"] = self.again_command
        return 0

    monkeypatch.setattr("vescdoctor.tui.app.VescDoctorApp.run", fake_run)
    monkeypatch.setattr("tempfile.mkdtemp", lambda prefix="": str(tmp_path))
    tui_command.run(SimpleNamespace(command="demo"))
    assert seen["again"] and "--sim" in seen["again"] and str(tmp_path) in seen["again"]
