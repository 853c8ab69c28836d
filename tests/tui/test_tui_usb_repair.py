"""The repair over USB in the TUI, where `fix` takes it (no debug probe, the firmware answers): the verdict screen
offers it with its own fields, its own consent (Cancel focused), the engine of `fix --via usb` runs it, the end and
the report say what was done. On the bench, with the real usbrepair engine."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from vescdoctor.sim import imagegen
from vescdoctor.tui.app import VescDoctorApp

from board_support import flash, make
from tui_support import enter_to_verdict, screen_name, snapshot_app, steady, wait_for

pytestmark = pytest.mark.slow  # the app runs (Textual's pilot)
S11 = 0xE0000


def _app(tmp_path: Path, *, firmware: bool = False) -> tuple[VescDoctorApp, Path, bytes]:
    board = make(tmp_path, "usb-no-bootloader")
    bl = imagegen.bootloader(compression=True)
    (tmp_path / "bl.bin").write_bytes(bl)
    fw = None
    if firmware:
        fw = tmp_path / "fw6.bin"
        fw.write_bytes(imagegen.firmware("410", "6.02", "release6"))
    app = VescDoctorApp(board_dir=board, bootloader=tmp_path / "bl.bin", firmware=fw,
                        backup_dir=tmp_path / "backups", report_path=tmp_path / "report.json")
    return app, board, bl


def test_over_usb_the_bootloader_is_installed_after_consent(tmp_path):
    app, board, bl = _app(tmp_path)
    before = flash(board)

    async def walk():
        async with app.run_test(size=(80, 24)) as pilot:
            await enter_to_verdict(pilot)
            screen = app.screen
            assert app.session.verdict.code == "healthy" and app.usb_route
            assert str(app.focused.label) == "Repair over USB..." and screen.plan.via == "usb"
            assert not screen.query("#fix-hw") and not screen.query("#fix-keep")  # the running firmware says both
            assert "`vescdoctor fix" not in str(screen.query_one("#verdict-text").render())  # the panel instead
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "UsbConfirmScreen", what="the consent over USB")
            text = str(app.screen.query_one("#usb-confirm-text").render())
            assert "Keep the battery and the USB cable connected" in text and "sector 11" in text
            assert app.focused.id == "confirm-no"  # Enter alone writes nothing
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "VerdictScreen", what="back, nothing written")
            assert flash(board) == before
            app.screen.query_one("#fix-go").press()
            await wait_for(pilot, lambda: screen_name(app) == "UsbConfirmScreen", what="the consent again")
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
            assert "Repair done" in str(app.screen.query_one("#end-text").render())
            await pilot.press("q")

    asyncio.run(walk())
    assert app.return_code == 0
    after = flash(board)
    assert after[S11:S11 + len(bl)] == bl and after[:S11] == before[:S11]  # only sector 11 changed
    report = app.build_report()
    assert [(a["step"], a["ok"]) for a in report["actions"]] == [("usb-write-bootloader", True), ("reprobe", True)]


def test_over_usb_a_firmware_update_saves_the_configuration_first(tmp_path):
    app, board, _ = _app(tmp_path, firmware=True)

    async def walk():
        async with app.run_test(size=(80, 24)) as pilot:
            await enter_to_verdict(pilot)
            assert [s.name for s in app.screen.plan.steps] == ["save-config", "usb-write-bootloader",
                                                               "usb-update-firmware", "reprobe"]
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "UsbConfirmScreen", what="the consent over USB")
            text = str(app.screen.query_one("#usb-confirm-text").render())
            assert "wipes the motor and app configuration" in text and "saved into" in text
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
            await pilot.press("q")

    asyncio.run(walk())
    assert app.return_code == 0 and app.outcome.ok, app.outcome.message
    saved = json.loads(next((tmp_path / "backups").glob("*-config-usb.json")).read_text())
    assert saved["fw_version"] == "5.03"
    from vescdoctor.environment import sim_environment
    from vescdoctor.usbrepair.execute import wait_for_firmware

    with sim_environment(board) as env:
        assert wait_for_firmware(env, 5).version == "6.02"


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), pytest.param((60, 20), id="60x20")])
@pytest.mark.parametrize("where", ["verdict", "consent"])
def test_usb_repair_snapshots(snap_compare, monkeypatch, size, where):
    app = snapshot_app(f"usb-{where}-{size[0]}x{size[1]}", monkeypatch, scenario="usb-no-bootloader")
    imagegen_bl = imagegen.bootloader(compression=True)
    Path("demo-bootloader.bin").write_bytes(imagegen_bl)  # the snapshot app runs in its own directory
    app.firmware_path = ""

    async def ready(pilot):
        await enter_to_verdict(pilot)
        if where == "consent":
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "UsbConfirmScreen", what="the consent over USB")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


def test_quit_during_a_write_over_usb_waits_for_the_end_of_the_repair(tmp_path, monkeypatch):
    """Over USB there is no safe point between the writes: q during the bootloader's write says so, and the app
    quits once the whole repair has ended (the bootloader written in full), exit 0."""
    import threading

    from vescdoctor.usbrepair import transfer

    app, board, bl = _app(tmp_path)
    in_write, go_on = threading.Event(), threading.Event()
    real = transfer.upload_bootloader

    def held(*args, **kw):
        in_write.set()
        go_on.wait(30)
        return real(*args, **kw)

    monkeypatch.setattr(transfer, "upload_bootloader", held)

    async def walk():
        async with app.run_test(size=(80, 24)) as pilot:
            await enter_to_verdict(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "UsbConfirmScreen", what="the consent over USB")
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: in_write.is_set() and app.writing, what="the write over USB")
            await pilot.press("q")
            await wait_for(pilot, lambda: screen_name(app) == "QuitWhileWriting", what="the quit question")
            text = str(app.screen.query_one("#quit-text").render())
            assert "cannot stop between its writes" in text and "once the repair has ended" in text
            await pilot.press("tab")
            assert str(app.focused.label) == "Quit at the end"
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert app.return_code is None  # still writing: the app waits
            go_on.set()
            await wait_for(pilot, lambda: app.return_code is not None, what="the app to leave")

    try:
        asyncio.run(walk())
    finally:
        go_on.set()
    assert app.return_code == 0 and app.outcome.ok, app.outcome
    assert flash(board)[S11:S11 + len(bl)] == bl


def test_over_usb_ctrl_g_gets_the_catalogs_bootloader_as_fix_would(tmp_path, monkeypatch):
    """No bootloader typed: as `fix` takes the catalog's bootloader for the HW the firmware names, the plan's message
    offers Ctrl+G; it comes from a mirror on 127.0.0.1, checked, fills the field, and the repair installs it."""
    from mirror_support import MirrorServer, generated_images, write_catalog, write_mirror

    items = generated_images()
    monkeypatch.setenv("VESCDOCTOR_CATALOG", str(write_catalog(tmp_path / "catalog.json", items)))
    monkeypatch.delenv("VESCDOCTOR_OFFLINE")
    bootloader = next(d for r, d in items if r["hw_dir"].startswith("40_o_"))
    board = make(tmp_path, "usb-no-bootloader")
    app = VescDoctorApp(board_dir=board, backup_dir=tmp_path / "backups", report_path=tmp_path / "report.json")

    async def walk():
        async with app.run_test(size=(100, 30)) as pilot:
            await enter_to_verdict(pilot)
            assert app.usb_route and app.screen.plan is None
            message = " ".join(str(app.screen.query_one("#fix-plan").render()).split())
            assert "fill in the bootloader image field" in message and "--" not in message, message
            assert "press Ctrl+G to download the official bootloader" in message, message
            await pilot.press("ctrl+g")
            await wait_for(pilot, lambda: app.screen.plan is not None, what="the plan with the catalog's bootloader")
            assert app.screen.plan.via == "usb" and app.screen.query_one("#fix-bootloader").value
            app.screen.query_one("#fix-go").press()
            await wait_for(pilot, lambda: screen_name(app) == "UsbConfirmScreen", what="the consent over USB")
            await pilot.press("tab", "enter")
            await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
            assert app.outcome.ok, app.outcome.message
            await pilot.press("q")

    with MirrorServer(write_mirror(tmp_path / "mirror", items)) as server:
        monkeypatch.setenv("VESCDOCTOR_MIRROR", server.url)
        asyncio.run(walk())
        assert len(server.requests) == 1
    assert flash(board)[S11:S11 + len(bootloader)] == bootloader
