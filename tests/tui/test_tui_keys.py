"""Keys as the README says and riders expect: Ctrl+C asks to quit like q, q types in a field, the footer is never
empty in a field, a quit asked during a write is honoured when it ends, and nothing is saved without a choice."""
from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest
from textual.widgets import Input

from tui_support import (
    SIZE,
    StandInEvent,
    demo_app,
    enter_to_verdict,
    fake_backup,
    screen_name,
    stand_in,
    start_repair,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_ctrl_c_quits_like_q(tmp_path):
    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda: app.return_code is not None, what="the app to leave")
        return app
    assert asyncio.run(run()).return_code == 0


def test_q_types_in_a_field_and_the_footer_still_says_how_to_quit(tmp_path):
    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await enter_to_verdict(pilot)
            field = app.screen.query_one("#fix-hw", Input)
            field.value = ""
            field.focus()
            await pilot.pause()
            shown = {key: b for key, b in app.screen.active_bindings.items() if b.binding.show and b.enabled}
            assert "ctrl+q" in shown and shown["ctrl+q"].binding.description == "Quit", shown
            await pilot.press("q")
            await pilot.pause()
            assert field.value == "q" and app.return_code is None
            app.screen.query_one("#fix-go").focus()
            await pilot.pause()
            shown = {key for key, b in app.screen.active_bindings.items() if b.binding.show and b.enabled}
            assert "q" in shown and "ctrl+q" not in shown  # outside a field: q, once
            await pilot.press("q")
            await wait_for(pilot, lambda: app.return_code is not None, what="the app to leave")
    asyncio.run(run())


def test_a_quit_asked_during_a_write_is_honoured_when_the_write_ends(tmp_path, monkeypatch):
    """The rider presses Ctrl+C mid-write and does not answer the dialog: once the write has ended (verified),
    the repair stops at that safe point and the app leaves; it does not stay on with the dialog gone."""
    release, writing, after_write = threading.Event(), threading.Event(), []

    def script(on_event, backup_dir):
        on_event(StandInEvent("phase", "backup", 0.0, "reading the whole flash"))
        fake_backup(backup_dir)
        on_event(StandInEvent("phase", "erase", 0.0, "erasing the sectors the bootloader needs", True))
        writing.set()
        release.wait(20)
        on_event(StandInEvent("progress", "verify", 1.0, "verifying every byte of the bootloader", True))
        after_write.append("the write ran to its end")
        on_event(StandInEvent("log", "verify", None, "the bootloader is written and verified", False))
        after_write.append("the firmware write began")
        return SimpleNamespace(ok=True, actions=[], backups=[], message="late", after=None)

    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await start_repair(pilot)
            await wait_for(pilot, lambda: writing.is_set() and app.writing, what="the write")
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda: screen_name(app) == "QuitWhileWriting", what="the quit question")
            release.set()  # the write ends; the dialog is still unanswered
            await wait_for(pilot, lambda: app.return_code is not None, what="the app to leave")
        return app

    stand_in(monkeypatch, script)
    try:
        app = asyncio.run(run())
    finally:
        release.set()
    assert after_write == ["the write ran to its end"]
    assert app.return_code == 1


def test_save_report_on_the_verdict_asks_where_and_writes_nothing_by_itself(tmp_path):
    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await enter_to_verdict(pilot)
            app.screen.query_one("#save-report").focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "SaveReportScreen", what="the save question")
            assert not app.report_path.exists(), "Enter on the button asked; it wrote nothing"
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "VerdictScreen")
            assert not app.report_path.exists()
            chosen = tmp_path / "mine.json"
            chosen.write_text("the rider's own file")
            app.screen.query_one("#save-report").focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "SaveReportScreen", what="the save question")
            app.screen.query_one("#save-path", Input).value = str(chosen)
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert chosen.read_text() == "the rider's own file", "an existing file is kept after one Enter"
            await pilot.press("enter")  # a second Save: the report writer itself still keeps a file it did not write
            await wait_for(pilot, lambda: screen_name(app) == "VerdictScreen")
            await wait_for(pilot, lambda: app.report_error is not None, what="the refusal")
            assert chosen.read_text() == "the rider's own file" and not app.report_path.exists()
    asyncio.run(run())


def test_a_resize_repaints_the_whole_screen(tmp_path):
    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            calls = []
            real = app.full_repaint
            app.full_repaint = lambda: (calls.append(app.size), real())
            await pilot.resize_terminal(60, 20)
            await wait_for(pilot, lambda: calls, what="a full repaint")
            assert calls[-1] == (60, 20)
            await pilot.press("ctrl+q")
    asyncio.run(run())


def test_at_60x20_the_confirmation_keeps_the_backup_place_and_the_battery_rule_in_sight(tmp_path):
    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=(60, 20)) as pilot:
            await enter_to_verdict(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
            await pilot.pause(0.2)
            hint = app.screen.query_one("#confirm-hint")
            words = str(hint.render())
            assert hint.display and "Keep the battery connected" in words and str(app.effective_backup_dir()) in words
            assert app.screen.region.contains_region(hint.region) and hint.region.height >= 2
            assert app.focused.id == "confirm-no"
            await pilot.press("shift+tab")
            assert app.focused.id == "confirm-scroll"
            await pilot.press("end")
            await pilot.pause()
            scroll = app.screen.query_one("#confirm-scroll")
            assert scroll.scroll_offset.y == scroll.max_scroll_y > 0
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "VerdictScreen")
            await pilot.press("ctrl+q")
    asyncio.run(run())
