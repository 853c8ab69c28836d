"""The TUI walks the forum case to a repaired board with the catalog's images, no file path typed: they are at
hand in a mirror folder (VESCDOCTOR_MIRROR), as after `vescdoctor firmware get`."""
from __future__ import annotations

import asyncio
import json

import pytest

from mirror_support import generated_images, write_catalog, write_mirror
from tui_support import demo_app, enter_to_verdict, screen_name, wait_for

SIZE = (100, 30)
pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)


def test_forum_case_repaired_in_the_tui_with_the_catalogs_images(tmp_path, monkeypatch):
    items = generated_images()
    monkeypatch.setenv("VESCDOCTOR_CATALOG", str(write_catalog(tmp_path / "catalog.json", items)))
    monkeypatch.setenv("VESCDOCTOR_MIRROR", str(write_mirror(tmp_path / "mirror", items)))
    firmware = next(d for r, d in items if r["version"] == "7.00")
    bootloader = next(d for r, d in items if r["hw_dir"].startswith("40_o_"))
    asyncio.run(_walk(tmp_path, firmware, bootloader))


async def _walk(tmp_path, firmware: bytes, bootloader: bytes):
    app, demo = demo_app(tmp_path, bootloader=None, firmware=None)
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        fields = [app.screen.query_one(f"#fix-{what}").value for what in ("firmware", "bootloader")]
        assert fields == ["", ""], "no path typed"
        assert app.focused.id == "fix-go", "a plan without typed paths: the repair button is enabled"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
        await pilot.press("tab")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", timeout=40, what="the end of the repair")
        assert app.outcome.ok, app.outcome.message
        report = app.build_report()
        await pilot.press("ctrl+q")
    flash = (demo["board"] / "flash.bin").read_bytes()
    assert flash[0xE0000:0xE0000 + len(bootloader)] == bootloader
    assert flash[0xC000:len(firmware)] == firmware[0xC000:]
    named = {i["what"]: i["release"] for i in json.loads(json.dumps(report))["images"]}
    assert named["firmware"].startswith("official 7.00 release for 410_o_411_o_412")
    assert named["bootloader"].startswith("official bootloader 40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin")


def test_ctrl_g_downloads_the_offered_images_and_the_repair_goes_on(tmp_path, monkeypatch):
    """Not at hand: the plan's message offers Ctrl+G; the images come from a mirror served on 127.0.0.1, checked,
    and fill the image fields."""
    from mirror_support import MirrorServer

    items = generated_images()
    monkeypatch.setenv("VESCDOCTOR_CATALOG", str(write_catalog(tmp_path / "catalog.json", items)))
    monkeypatch.delenv("VESCDOCTOR_OFFLINE")
    firmware = next(d for r, d in items if r["version"] == "7.00")
    with MirrorServer(write_mirror(tmp_path / "mirror", items)) as server:
        monkeypatch.setenv("VESCDOCTOR_MIRROR", server.url)
        asyncio.run(_ctrl_g(tmp_path, firmware))
        assert len(server.requests) == 2


async def _ctrl_g(tmp_path, firmware: bytes):
    app, demo = demo_app(tmp_path, bootloader=None, firmware=None)
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        assert app.screen.plan is None
        message = " ".join(str(app.screen.query_one("#fix-plan").render()).split())
        assert "press Ctrl+G to download the official bootloader" in message, message
        assert "and the official 7.00 release for 410_o_411_o_412" in message
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: app.screen.plan is not None, what="the plan with the downloaded images")
        assert app.screen.query_one("#fix-firmware").value.endswith("VESC_default.bin")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "fix-go", what="focus")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
        await pilot.press("tab")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", timeout=40, what="the end of the repair")
        assert app.outcome.ok, app.outcome.message
        await pilot.press("ctrl+q")
    assert (demo["board"] / "flash.bin").read_bytes()[0xC000:len(firmware)] == firmware[0xC000:]
