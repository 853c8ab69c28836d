"""The TUI walks the forum case to a repaired board with the catalog's images, no file path typed: they are at
hand in a mirror folder (VESCDOCTOR_MIRROR), as after `vescdoctor firmware get`."""
from __future__ import annotations

import asyncio
import json

from mirror_support import generated_images, write_catalog, write_mirror
from tui_support import demo_app, enter_to_verdict, screen_name, wait_for

SIZE = (100, 30)


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
