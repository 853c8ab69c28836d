"""Pilot tests of the TUI on the demo board: Enter alone to the verdict, the repair with and without consent, an
unplug mid-write, quitting."""
from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Button

from tui_support import demo_app, enter_to_verdict, screen_name, wait_for

SIZE = (100, 30)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_enter_alone_walks_the_demo_to_the_verdict(tmp_path, size):
    asyncio.run(_enter_alone(tmp_path, size))


async def _enter_alone(tmp_path, size):
    app, demo = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await enter_to_verdict(pilot)
        assert app.session.verdict.code == "app-missing"
        assert app.session.answers == {"symptom": "no-usb", "led": "blue-only"}
        assert [step.node for step in app.session.path][:3] == ["symptom", "led", "usb-scan"]
        # the flash map drew what the flash.map probe read
        assert "state-blank" in app.screen.query_one("#sector-0").classes
        assert "state-data" in app.screen.query_one("#sector-1").classes
        await pilot.press("ctrl+q")
    assert app.return_code == 0


def test_wiring_screen_can_be_skipped_and_quit_works_anywhere(tmp_path):
    asyncio.run(_skip_wiring(tmp_path))


async def _skip_wiring(tmp_path):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        await pilot.press("ctrl+s")  # start with the default answers
        await wait_for(pilot, lambda: screen_name(app) == "WiringScreen")
        await pilot.press("escape")  # skip
        await wait_for(pilot, lambda: app.session.finished, what="the verdict")
        await pilot.press("q")
    assert app.return_code == 0
    return app
