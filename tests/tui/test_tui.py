"""Pilot tests of the TUI on the demo board: Enter alone to the verdict, the repair with and without consent, an
unplug mid-write, quitting."""
from __future__ import annotations

import asyncio

import pytest

from tui_support import demo_app, enter_to_verdict, screen_name, until_verdict, wait_for

pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)

SIZE = (100, 30)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_enter_alone_walks_the_demo_to_the_verdict(tmp_path, size):
    asyncio.run(_enter_alone(tmp_path, size))


async def _enter_alone(tmp_path, size):
    app, demo = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await enter_to_verdict(pilot)
        assert app.session.verdict.code == "app-missing"
        # hw: asked, because the app is gone; Enter took the answer suggested
        assert app.session.answers == {"symptom": "no-usb", "led": "blue-only", "hw": "410"}
        assert [step.node for step in app.session.path][:3] == ["symptom", "led", "usb-scan"]
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
        await until_verdict(pilot)
        # the flash map drew what the flash.map probe read
        assert "state-blank" in app.screen.query_one("#sector-0").classes
        assert "state-data" in app.screen.query_one("#sector-1").classes
        assert "role-bootloader" in app.screen.query_one("#sector-11").classes
        await pilot.press("q")
    assert app.return_code == 0
    return app


# -- the repair -------------------------------------------------------------------------------------------------

async def _consent(pilot, yes: bool) -> None:
    app = pilot.app
    await enter_to_verdict(pilot)
    assert app.focused.id == "fix-go", "the repair button has the focus on the verdict screen"
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
    assert app.focused.id == "confirm-no", "Cancel has the focus: Enter alone never erases"
    if yes:
        await pilot.press("tab")
        assert app.focused.id == "confirm-yes"
    await pilot.press("enter")
    await pilot.pause()


def test_refusing_consent_writes_nothing(tmp_path):
    asyncio.run(_refuse(tmp_path))


async def _refuse(tmp_path):
    app, demo = demo_app(tmp_path)
    before = (demo["board"] / "flash.bin").read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await _consent(pilot, yes=False)
        assert screen_name(app) == "VerdictScreen"
        assert app.outcome is None and app.plan is None
        # `q` typed into a field is a letter, not quit
        app.screen.query_one("#fix-firmware").focus()
        await pilot.press("end", "q")
        assert screen_name(app) == "VerdictScreen"
        assert app.screen.query_one("#fix-firmware").value.endswith("q")
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    assert (demo["board"] / "flash.bin").read_bytes() == before
    assert not (demo["backups"]).exists() or not any(demo["backups"].iterdir())


def test_repair_with_consent_ends_healthy(tmp_path):
    asyncio.run(_repair(tmp_path))


async def _repair(tmp_path):
    from vescdoctor.knowledge.flash import BOOTLOADER_BASE, FLASH_BASE

    app, demo = demo_app(tmp_path)
    bootloader = demo["bootloader"].read_bytes()
    firmware = demo["firmware"].read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await _consent(pilot, yes=True)
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end of the repair")
        assert app.fix_error is None, app.fix_error
        assert app.outcome.ok, app.outcome.message
        assert "healthy" in str(app.screen.query_one("#end-text").render())
        assert app.focused.id == "end-save"
        await pilot.press("enter")
        await pilot.pause()
        assert app.report_written is not None and app.report_written.is_file()
        await pilot.press("ctrl+q")
    flash = (demo["board"] / "flash.bin").read_bytes()
    bl_at = BOOTLOADER_BASE - FLASH_BASE
    assert flash[bl_at:bl_at + len(bootloader)] == bootloader
    assert flash[:0x4000] == firmware[:0x4000]  # sector 0
    # the code after the config gap, up to the CRC flag and words the firmware writes on its first boot
    crc_area = 16
    assert flash[0xC000:len(firmware) - crc_area] == firmware[0xC000:len(firmware) - crc_area]
    assert any(demo["backups"].iterdir()), "a backup was made first"
    import json

    report = json.loads(app.report_written.read_text())
    assert report["command"] == "tui" and report["actions"]
    assert report["after"]["verdict"] == "healthy"
    assert [(i["what"], i.get("hw")) for i in report["images"]] == [("bootloader", None), ("firmware", "410")]


def test_unplug_mid_write_ends_with_a_clear_message(tmp_path):
    asyncio.run(_unplug(tmp_path))


async def _unplug(tmp_path):
    import yaml

    app, demo = demo_app(tmp_path)
    board_yaml = demo["board"] / "board.yaml"
    config = yaml.safe_load(board_yaml.read_text())
    config["faults"] = {"probe_unplug_after_bytes": 4096}
    board_yaml.write_text(yaml.safe_dump(config))
    async with app.run_test(size=SIZE) as pilot:
        await _consent(pilot, yes=True)
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end of the repair")
        assert app.writing is False
        text = str(app.screen.query_one("#end-text").render())
        assert "did not complete" in text
        assert (app.fix_error or app.outcome.message).strip()
        assert "run vescdoctor again" in text
        assert "lost" in text  # the engine's reason: the probe went away
        await pilot.press("ctrl+q")
    assert app.return_code == 1  # as `vescdoctor fix`: the repair did not complete


# -- a write can't be cancelled, quitting asks (a stand-in engine that stops mid-write until told) ---------------

class _Event:
    def __init__(self, kind, phase, fraction=None, message="", writing=False):
        self.kind, self.phase, self.fraction, self.message, self.writing = kind, phase, fraction, message, writing


def test_write_cannot_be_cancelled_and_quit_asks(tmp_path, monkeypatch):
    asyncio.run(_mid_write(tmp_path, monkeypatch))


async def _mid_write(tmp_path, monkeypatch):
    import threading
    from types import SimpleNamespace

    import vescdoctor.fixes.execute as execute_module

    release = threading.Event()
    writing = threading.Event()

    def fake_execute(plan, env, *, on_event, backup_dir, answers=None, should_stop=None):
        on_event(_Event("phase", "backup", message="reading 1 MiB"))
        on_event(_Event("progress", "backup", 1.0))
        on_event(_Event("phase", "erase", message="sector 0", writing=True))
        on_event(_Event("progress", "erase", 0.5, writing=True))
        writing.set()
        release.wait(10)
        on_event(_Event("progress", "erase", 1.0, writing=False))
        return SimpleNamespace(ok=True, actions=[], backups=[], message="stand-in done", after="healthy")

    monkeypatch.setattr(execute_module, "execute_plan", fake_execute)
    app, demo = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _consent(pilot, yes=True)
        await wait_for(pilot, lambda: writing.is_set() and app.writing, what="the write")
        cancel = app.screen.query_one("#fix-cancel")
        assert cancel.disabled and "can't cancel" in str(cancel.label)
        await pilot.press("q")
        await wait_for(pilot, lambda: screen_name(app) == "QuitWhileWriting", what="the quit question")
        assert app.focused.id == "quit-no"
        await pilot.press("enter")  # keep writing
        await pilot.pause()
        assert screen_name(app) == "FixScreen"
        release.set()
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
        assert "healthy" in str(app.screen.query_one("#end-text").render())
        await pilot.press("q")
    assert app.return_code == 0


def test_verdict_without_a_repair_offers_no_repair(tmp_path):
    asyncio.run(_no_repair(tmp_path))


async def _no_repair(tmp_path):
    """A charge-only cable is the rider's to fix: the verdict says so and offers no file fields or Repair button."""
    from vescdoctor.sim.scenario import build_board, find_scenario
    from vescdoctor.tui.app import VescDoctorApp

    board = tmp_path / "board"
    build_board(find_scenario("charge-only-cable"), board)
    app = VescDoctorApp(board_dir=board, backup_dir=tmp_path / "backups", report_path=tmp_path / "report.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await enter_to_verdict(pilot)
        assert app.session.verdict.code == "usb-cable"
        assert not app.screen.query("#fix-go") and not app.screen.query("#fix-bootloader")
        assert app.screen.query("#no-fix")
        await pilot.press("ctrl+q")
