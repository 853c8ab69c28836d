"""The repair in the TUI: the confirmation at 80x24 (every sector listed, the buttons on screen), `~` in the image
fields, the Board hardware field (read-protected board), progress bars per image, and quitting mid-repair (never
while a write may still run; exit codes and the record so far)."""
from __future__ import annotations

import asyncio
import json
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from tui_support import (
    SIZE,
    StandInEvent,
    demo_app,
    enter_to_verdict,
    fake_backup,
    record_notes,
    screen_name,
    stand_in,
    start_repair,
    wait_for,
)

pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)

# -- The confirmation at 80x24: every sector listed, the buttons always on screen ---------------------------

def _check_confirmation_fits(app) -> str:
    """The buttons inside the box and on screen, every sector to erase listed; the dialog's text."""
    screen = app.screen
    inner = screen.query_one("#confirm-box").content_region
    for button_id in ("#confirm-no", "#confirm-yes"):
        region = screen.query_one(button_id).region
        assert region.height == 3, (button_id, region)
        assert screen.region.contains_region(region), (button_id, region, screen.region)
        assert inner.contains_region(region), (button_id, region, inner)
    text = str(screen.query_one("#confirm-text").render())
    for n in screen.plan.erase_sectors:
        assert f"sector {n:2d}" in text
    assert "Keep the battery connected" in text
    scroll = screen.query_one("#confirm-scroll")
    assert scroll.max_scroll_y == max(0, scroll.virtual_size.height - scroll.scrollable_content_region.height)
    assert app.focused.id == "confirm-no"
    return text


def test_confirmation_buttons_are_on_screen_at_80x24(tmp_path):
    asyncio.run(_confirm_small(tmp_path))


async def _confirm_small(tmp_path):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter_to_verdict(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
        await pilot.pause(0.1)
        _check_confirmation_fits(app)
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "VerdictScreen"
        await pilot.press("ctrl+q")


def test_confirmation_of_a_whole_flash_erase_scrolls_and_keeps_its_buttons_at_80x24(tmp_path):
    asyncio.run(_confirm_long(tmp_path))


async def _confirm_long(tmp_path):
    """Lifting read protection erases all 12 sectors: the longest list there is."""
    app = _read_protected(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await enter_to_verdict(pilot)
        app.screen.query_one("#fix-hw").value = "410"
        await pilot.pause(0.1)
        app.screen.query_one("#fix-go").press()
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
        await pilot.pause(0.1)
        assert app.screen.plan.erase_sectors == list(range(12))
        text = _check_confirmation_fits(app)
        assert "ERASES THE WHOLE FLASH" in text
        scroll = app.screen.query_one("#confirm-scroll")
        assert scroll.max_scroll_y > 0, "the long list scrolls instead of pushing the buttons off"
        scroll.scroll_end(animate=False)
        await pilot.pause(0.1)
        _check_confirmation_fits(app)
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "VerdictScreen"
        await pilot.press("ctrl+q")


# -- `~` in the image fields ----------------------------------------------------------------------------------

def test_image_fields_expand_the_home_directory(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    asyncio.run(_tilde_images(tmp_path, home))


async def _tilde_images(tmp_path, home):
    app, demo = demo_app(tmp_path, bootloader="", firmware="")
    shutil.copy(demo["bootloader"], home / "bl.bin")
    shutil.copy(demo["firmware"], home / "fw.bin")
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        screen = app.screen
        assert screen.plan is None
        screen.query_one("#fix-bootloader").value = "~/bl.bin"
        screen.query_one("#fix-firmware").value = " ~/fw.bin "
        await pilot.pause(0.2)
        assert screen.plan is not None, str(screen.query_one("#fix-plan").render())
        assert not screen.query_one("#fix-go").disabled
        assert [s.name for s in screen.plan.steps][:3] == ["backup", "write-bootloader", "write-firmware"]
        await pilot.press("ctrl+q")


# -- The board's hardware, when the diagnosis can't tell (read-protected) -------------------------------------

def _read_protected(tmp_path):
    from vescdoctor.sim import imagegen
    from vescdoctor.sim.scenario import build_board, find_scenario
    from vescdoctor.tui.app import VescDoctorApp

    board = tmp_path / "board"
    build_board(find_scenario("read-protected"), board)
    (tmp_path / "bl.bin").write_bytes(imagegen.bootloader())
    (tmp_path / "fw.bin").write_bytes(imagegen.firmware(hw="410"))
    return VescDoctorApp(board_dir=board, bootloader=tmp_path / "bl.bin", firmware=tmp_path / "fw.bin",
                         backup_dir=tmp_path / "backups", report_path=tmp_path / "report.json")


def test_board_hardware_field_unblocks_a_read_protected_board(tmp_path):
    asyncio.run(_board_hw(tmp_path))


async def _board_hw(tmp_path):
    app = _read_protected(tmp_path)
    notes = record_notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        assert app.session.verdict.code == "read-protected"
        screen = app.screen
        hw = screen.query_one("#fix-hw")
        assert hw.value == "", "the diagnosis does not know the hardware: nothing prefilled"
        assert screen.plan is None and screen.query_one("#fix-go").disabled
        refusal = str(screen.query_one("#fix-plan").render())
        assert "hardware is not known" in refusal and "Board hardware field" in refusal
        assert "--answer" not in refusal and "--" not in refusal
        # a name it does not know: one line on screen, still no plan
        hw.value = "bogus"
        hw.focus()
        await pilot.press("enter")
        await pilot.pause(0.1)
        errors = [m for sev, m in notes if sev == "error"]
        assert len(errors) == 1 and "not a VESC HW name" in errors[0] and "\n" not in errors[0], notes
        assert screen.plan is None and screen.query_one("#fix-go").disabled
        # 4.12 is the 410 hardware: a plan, that lifts the protection and writes both images for HW 410
        hw.value = "4.12"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert screen.plan is not None, str(screen.query_one("#fix-plan").render())
        assert screen.plan.board_hw == "410"
        assert [s.name for s in screen.plan.steps][:4] == ["warn-no-backup", "unlock-rdp", "write-bootloader",
                                                           "write-firmware"]
        assert not screen.query_one("#fix-go").disabled
        # typing 410 straight in works as well, without Enter
        hw.value = ""
        await pilot.pause(0.1)
        assert screen.plan is None
        hw.value = "410"
        await pilot.pause(0.1)
        assert screen.plan is not None and screen.plan.board_hw == "410"
        await pilot.press("ctrl+q")


def test_board_hardware_field_is_prefilled_when_the_diagnosis_knows(tmp_path):
    asyncio.run(_board_hw_known(tmp_path))


async def _board_hw_known(tmp_path):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        assert app.screen.query_one("#fix-hw").value == "410"  # the answer to the hw question (the bench owner's)
        assert app.screen.plan is not None
        await pilot.press("ctrl+q")


# -- Progress bars start again for the firmware after the bootloader ------------------------------------------

def test_progress_bars_reset_for_each_image_and_the_status_follows(tmp_path, monkeypatch):
    release = threading.Event()
    started = threading.Event()

    def script(on_event, backup_dir):
        started.set()
        release.wait(20)
        return SimpleNamespace(ok=True, actions=[], backups=[], message="stand-in done", after=None)

    stand_in(monkeypatch, script)
    asyncio.run(_bars(tmp_path, release, started))


async def _bars(tmp_path, release, started):
    from textual.widgets import ProgressBar

    from vescdoctor.tui.messages import FixProgress

    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_repair(pilot)
        await wait_for(pilot, lambda: screen_name(app) == "FixScreen" and started.is_set(), what="the repair")
        screen = app.screen

        def feed(*events):
            for event in events:
                screen.on_fix_progress(FixProgress(event))

        def bars():
            return {p: screen.query_one(f"#bar-{p}", ProgressBar).progress for p in ("erase", "program", "verify")}

        def status():
            return str(screen.query_one("#fix-status").render())

        feed(StandInEvent("phase", "erase", 0.0, "erasing the sectors the bootloader needs", True),
             StandInEvent("progress", "erase", 1.0, "erasing for the bootloader", True),
             StandInEvent("progress", "program", 0.5, "writing the bootloader", True))
        assert status().startswith("program: writing the bootloader"), status()
        feed(StandInEvent("progress", "program", 1.0, "writing the bootloader", True),
             StandInEvent("phase", "verify", 0.0, "verifying every byte of the bootloader"),
             StandInEvent("progress", "verify", 1.0, "verifying the bootloader"))
        assert bars() == {"erase": 100, "program": 100, "verify": 100}
        assert status().startswith("verify: verifying the bootloader"), status()
        feed(StandInEvent("phase", "erase", 0.0, "erasing the sectors the firmware needs", True))
        assert bars() == {"erase": 0, "program": 0, "verify": 0}, "a new image: its bars start at 0"
        feed(StandInEvent("progress", "erase", 1.0, "erasing for the firmware", True),
             StandInEvent("progress", "program", 0.27, "writing the firmware", True))
        assert bars() == {"erase": 100, "program": 27, "verify": 0}
        assert status() == "program: writing the firmware (27%)", status()
        feed(StandInEvent("phase", "verify", 0.0, "verifying every byte of the firmware"),
             StandInEvent("progress", "verify", 0.5, "verifying the firmware"))
        assert bars() == {"erase": 100, "program": 100, "verify": 50}
        assert status() == "verify: verifying the firmware (50%)", status()
        release.set()
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
        await pilot.press("q")
    assert app.return_code == 0


# -- Quitting mid-repair: never while a write may still run; the exit code says it did not complete ----------

def test_quit_mid_write_stops_after_the_write_then_exits_1_with_the_record(tmp_path, monkeypatch):
    release = threading.Event()
    writing = threading.Event()
    after_write: list[str] = []
    backup: dict = {}

    def script(on_event, backup_dir):
        on_event(StandInEvent("phase", "backup", 0.0, "reading the whole flash"))
        backup.update(fake_backup(backup_dir))
        on_event(StandInEvent("progress", "backup", 1.0, "reading flash"))
        on_event(StandInEvent("phase", "erase", 0.0, "erasing the sectors the bootloader needs", True))
        on_event(StandInEvent("progress", "erase", 0.5, "erasing for the bootloader", True))
        writing.set()
        release.wait(20)
        on_event(StandInEvent("progress", "verify", 1.0, "verifying every byte of the bootloader", True))
        after_write.append("the write ran to its end")
        on_event(StandInEvent("log", "verify", None, "the bootloader is written and verified", False))  # stops here
        after_write.append("the firmware write began")
        return SimpleNamespace(ok=True, actions=[], backups=[], message="late", after=None)

    stand_in(monkeypatch, script)
    try:
        app = asyncio.run(_quit_mid_write(tmp_path, writing, release))
    finally:
        release.set()
    assert after_write == ["the write ran to its end"]  # finished, verified, and nothing after it
    assert app.return_code == 1
    # what `vescdoctor demo` does once the app ended: the report of the run so far
    path = app.save_report()
    report = json.loads(path.read_text())
    steps = [(a["step"], a["ok"]) for a in report["actions"]]
    assert steps == [("backup", True), ("write-bootloader", False)], report["actions"]
    assert Path(report["actions"][0]["file"]).name == Path(backup["file"]).name  # paths are redacted
    assert "stopped as you asked" in report["actions"][1]["error"]
    assert [(Path(b["file"]).name, b["sha256"]) for b in report["backups"]] == [(Path(backup["file"]).name,
                                                                                  backup["sha256"])]
    assert [p["step"] for p in report["plan"]][:3] == ["backup", "write-bootloader", "write-firmware"]


async def _quit_mid_write(tmp_path, writing, release):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_repair(pilot)
        await wait_for(pilot, lambda: writing.is_set() and app.writing, what="the write")
        cancel = app.screen.query_one("#fix-cancel")
        # the disabled Cancel says why in full (the label was cut to "Writing: can't" before)
        await pilot.pause(0.1)
        assert cancel.disabled and str(cancel.label) == "Writing: can't cancel now"
        assert cancel.content_region.width >= len(str(cancel.label)), cancel.content_region
        await pilot.press("q")
        await wait_for(pilot, lambda: screen_name(app) == "QuitWhileWriting", what="the quit question")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "quit-no", what="its focus")
        await pilot.press("tab")
        assert app.focused.id == "quit-yes" and "Stop after this write" in str(app.focused.label)
        await pilot.press("enter")
        await pilot.pause(0.2)
        # still here: the app waits for the write instead of leaving it running behind a closed screen
        assert app.return_code is None and screen_name(app) == "FixScreen"
        await pilot.press("ctrl+q")  # asking again changes nothing: still waiting
        await pilot.pause(0.1)
        assert app.return_code is None and screen_name(app) == "FixScreen"
        release.set()
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to leave")
    return app


def test_quit_between_steps_stops_at_once_and_exits_1_with_the_record(tmp_path, monkeypatch):
    release = threading.Event()
    backed_up = threading.Event()
    later: list[str] = []

    def script(on_event, backup_dir):
        on_event(StandInEvent("phase", "backup", 0.0, "reading the whole flash"))
        fake_backup(backup_dir)
        on_event(StandInEvent("progress", "backup", 0.5, "reading flash"))
        backed_up.set()
        release.wait(20)
        on_event(StandInEvent("progress", "backup", 1.0, "reading flash"))  # not writing: the stop lands here
        later.append("went on")
        return SimpleNamespace(ok=True, actions=[], backups=[], message="late", after=None)

    stand_in(monkeypatch, script)
    try:
        app = asyncio.run(_quit_between(tmp_path, backed_up, release))
    finally:
        release.set()
    assert later == []
    assert app.return_code == 1
    report = app.build_report()
    assert [(a["step"], a["ok"]) for a in report["actions"]] == [("backup", False)]
    assert len(report["backups"]) == 1


async def _quit_between(tmp_path, backed_up, release):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_repair(pilot)
        await wait_for(pilot, lambda: backed_up.is_set(), what="the backup")
        await pilot.pause(0.1)
        assert not app.writing
        await pilot.press("q")  # not writing: no question; the engine stops at its next event
        await pilot.pause(0.1)
        assert str(app.screen.query_one("#fix-cancel").label) == "Stopping..."
        release.set()
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to leave")
    return app


def test_quit_mid_write_on_the_bench_leaves_a_board_the_next_fix_finishes(tmp_path, monkeypatch):
    """The real engine on the demo board: q while it writes the bootloader, stop after this write. The app leaves
    only when the engine has returned; nothing was cut halfway (sector 11 holds the whole bootloader), the firmware
    was not started, and `vescdoctor fix` finishes the job."""
    from vescdoctor.cli import main
    from vescdoctor.fixes import flashops
    from vescdoctor.knowledge.flash import BOOTLOADER_BASE, FLASH_BASE

    app, demo = demo_app(tmp_path)
    real_write = _quit_during_write(app, monkeypatch, nth=1)
    assert app.return_code == 1
    assert app.outcome is not None and app.outcome.stopped, app.outcome
    steps = [(a["step"], a["ok"]) for a in app.outcome.actions]
    assert steps == [("backup", True), ("write-bootloader", True), ("write-firmware", False)], app.outcome.actions
    bl = demo["bootloader"].read_bytes()
    flash = (demo["board"] / "flash.bin").read_bytes()
    assert flash[BOOTLOADER_BASE - FLASH_BASE:][:len(bl)] == bl
    # what `vescdoctor` prints once the screen is gone: how it ended and where the backup is
    summary = app.repair_summary()
    assert summary.startswith("repair did not complete: stopped as you asked, after write-bootloader"), summary
    assert "backup: " in summary and "run vescdoctor" in summary.replace("`", "")
    monkeypatch.setattr(flashops, "write_segments", real_write)
    code = main(["fix", "--sim", str(demo["board"]), "--bootloader", str(demo["bootloader"]),
                 "--firmware", str(demo["firmware"]), "--backup-dir", str(tmp_path / "more"), "--yes"])
    assert code == 0


def _quit_during_write(app, monkeypatch, nth: int):
    """Run `app` on the bench and press q during the engine's `nth` write, answering "Stop after this write".
    That write is held at its start (the engine has said writing=True) until the stop was asked: the simulated
    chip writes too fast to catch otherwise. The write itself is the real one. Returns the real write function."""
    from vescdoctor.fixes import flashops

    in_write, go_on = threading.Event(), threading.Event()
    real_write, calls = flashops.write_segments, []

    def held_write(*args, **kw):
        calls.append(1)
        if len(calls) == nth:
            in_write.set()
            go_on.wait(20)
        return real_write(*args, **kw)

    monkeypatch.setattr(flashops, "write_segments", held_write)
    try:
        asyncio.run(_quit_on_the_bench(app, in_write, go_on))
    finally:
        go_on.set()
    return real_write


async def _quit_on_the_bench(app, in_write, go_on):
    async with app.run_test(size=SIZE) as pilot:
        await start_repair(pilot)
        await wait_for(pilot, lambda: in_write.is_set() and app.writing, what="the first write")
        await pilot.press("q")
        await wait_for(pilot, lambda: screen_name(app) == "QuitWhileWriting", what="the quit question")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "quit-no", what="its focus")
        await pilot.press("tab")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "quit-yes", what="stop")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.stop_requested.is_set(), what="the stop request")
        assert app.return_code is None
        go_on.set()
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to leave")


@pytest.mark.parametrize("how", ["q", "button"])
def test_end_screen_after_a_failed_repair_exits_1_by_key_and_button(tmp_path, monkeypatch, how):
    def script(on_event, backup_dir):
        on_event(StandInEvent("phase", "backup", 0.0, "reading"))
        from vescdoctor.fixes.execute import FixOutcome, Resume

        return FixOutcome(ok=False, actions=[{"step": "backup", "ok": False, "detail": "lost", "error": "lost"}],
                          message="backup failed: lost", resume=Resume.FINISH)

    stand_in(monkeypatch, script)
    app = asyncio.run(_end_failed(tmp_path, how))
    assert app.return_code == 1


async def _end_failed(tmp_path, how):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_repair(pilot)
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
        text = str(app.screen.query_one("#end-text").render())
        assert "did not complete" in text and "vescdoctor fix" not in text and "`" not in text
        assert "run vescdoctor again to finish" in text
        if how == "q":
            await pilot.press("q")
        else:
            app.screen.query_one("#end-quit").press()
        await pilot.pause(0.2)
    return app


def test_a_crashed_repair_shows_and_reports_what_was_done(tmp_path, monkeypatch):
    def script(on_event, backup_dir):
        on_event(StandInEvent("phase", "backup", 0.0, "reading"))
        fake_backup(backup_dir)
        on_event(StandInEvent("phase", "erase", 0.0, "erasing for the bootloader", True))
        raise RuntimeError("the stand-in engine broke")

    stand_in(monkeypatch, script)
    asyncio.run(_crashed(tmp_path))


async def _crashed(tmp_path):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_repair(pilot)
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
        text = str(app.screen.query_one("#end-text").render())
        assert "the stand-in engine broke" in text
        assert "ok backup" in text and "FAILED write-bootloader" in text and "Backup kept:" in text
        report = app.build_report()
        assert [(a["step"], a["ok"]) for a in report["actions"]] == [("backup", True), ("write-bootloader", False)]
        assert len(report["backups"]) == 1
        await pilot.press("ctrl+q")
    assert app.return_code == 1


def test_a_stop_during_the_last_write_still_resets_and_counts_as_done(tmp_path, monkeypatch):
    """q during the firmware write (the last one): the write finishes and is verified, the chip is reset so the
    firmware starts, only the fresh look is skipped; the repair is done (exit 0) and the board is healthy."""
    from vescdoctor.cli import main
    from vescdoctor.fixes import flashops

    app, demo = demo_app(tmp_path)
    real_write = _quit_during_write(app, monkeypatch, nth=2)  # the firmware, after the bootloader
    assert app.return_code == 0
    assert app.outcome.ok and app.outcome.stopped, app.outcome.message
    states = [(a["step"], a["ok"]) for a in app.outcome.actions]
    assert states == [("backup", True), ("write-bootloader", True), ("write-firmware", True), ("reset", True),
                      ("reprobe", False)], app.outcome.actions
    assert "skipped" in app.outcome.actions[-1]["detail"]
    monkeypatch.setattr(flashops, "write_segments", real_write)
    assert main(["diagnose", "--sim", str(demo["board"])]) == 0  # the firmware runs: the reset happened
