"""Issue 17: "Erase the whole chip" on the confirmation: off by default; ticked, the plan is `fix --erase-all`'s
(all twelve sectors, bootloader and firmware written again, the configuration restored from the backup), and the
dialog says what a full erase costs and why vescdoctor does not need it; yes runs the plan shown."""
from __future__ import annotations

import asyncio

import pytest

from tui_support import SIZE, demo_app, enter_to_verdict, screen_name, wait_for

pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)


async def _to_confirmation(pilot) -> None:
    app = pilot.app
    await enter_to_verdict(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")


def _text(app) -> str:
    return str(app.screen.query_one("#confirm-text").render())


def test_the_full_erase_box_switches_the_plan_and_back(tmp_path):
    asyncio.run(_switch(tmp_path))


async def _switch(tmp_path):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _to_confirmation(pilot)
        box = app.screen.query_one("#confirm-erase-all")
        assert box.value is False, "off by default"
        targeted = app.screen.plan
        assert "mass-erase" not in targeted.step_names and len(targeted.erase_sectors) < 12
        assert app.focused.id == "confirm-no"
        await pilot.press("tab", "tab")  # Cancel -> Erase and write -> the box
        assert app.focused.id == "confirm-erase-all"
        await pilot.press("space")
        await wait_for(pilot, lambda: "mass-erase" in app.screen.plan.step_names, what="the full-erase plan")
        plan = app.screen.plan
        assert plan.step_names == ["backup", "mass-erase", "write-bootloader", "write-firmware", "restore-config",
                                   "reset", "reprobe"]
        text = _text(app)
        assert all(f"sector {n:2d}" in text for n in range(12))
        assert "about 8 s" in text and "written back from the backup" in text and "does not need it" in text
        await pilot.press("space")  # untick: the targeted plan again
        await wait_for(pilot, lambda: "mass-erase" not in app.screen.plan.step_names, what="the targeted plan")
        assert app.screen.plan is targeted and "about 8 s" not in _text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "VerdictScreen"
        await pilot.press("ctrl+q")


def test_yes_with_the_box_ticked_erases_the_whole_chip_and_ends_healthy(tmp_path):
    asyncio.run(_erase_all(tmp_path))


async def _erase_all(tmp_path):
    app, demo = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _to_confirmation(pilot)
        await pilot.press("tab", "tab", "space")
        await wait_for(pilot, lambda: "mass-erase" in app.screen.plan.step_names, what="the full-erase plan")
        await pilot.press("shift+tab")
        assert app.focused.id == "confirm-yes"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end of the repair")
        assert app.fix_error is None, app.fix_error
        assert app.outcome.ok, app.outcome.message
        assert "mass-erase" in app.plan.step_names
        await pilot.press("ctrl+q")
    flash = (demo["board"] / "flash.bin").read_bytes()
    assert flash[0x80000:0xE0000] == b"\xff" * 0x60000  # the update buffer went with the full erase
    assert any(demo["backups"].iterdir()), "a backup was made first"


def test_at_60x20_the_box_sits_inside_the_dialog_under_the_buttons(tmp_path):
    asyncio.run(_small(tmp_path))


async def _small(tmp_path):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await _to_confirmation(pilot)
        await pilot.pause(0.1)
        screen = app.screen
        inner = screen.query_one("#confirm-box").content_region
        box = screen.query_one("#confirm-erase-all").region
        assert inner.contains_region(box) and screen.region.contains_region(box), (box, inner)
        assert box.y > screen.query_one("#confirm-yes").region.bottom - 1
        await pilot.press("ctrl+q")
