"""Snapshots of every TUI screen at 80x24 and 60x20 (and the start at 100x30; pytest-textual-snapshot, update with
--snapshot-update).

Deterministic by construction: the demo board sits at a fixed path (the bench names its probe after it), the app runs
from that directory so the image paths shown are relative, the header has no clock and no screen shows a timing; the
repair screens run a stand-in engine held mid-write, and `steady` takes the time out of the picture (a blinking
cursor, a pressed button's highlight, toasts)."""
from __future__ import annotations

import threading

import pytest

from tui_support import (
    StandInEvent,
    enter_to_verdict,
    screen_name,
    snapshot_app,
    stand_in,
    start_repair,
    steady,
    to_finished_triage,
    wait_for,
)

pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)

SIZE = (100, 30)
SMALL_SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((60, 20), id="60x20")]


async def quiet_verdict(pilot) -> None:
    """At the verdict, without the toasts the walk may have raised (an Enter on a field still empty under load says
    "Type an answer"): they would make the picture depend on timing."""
    await enter_to_verdict(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_start_screen(snap_compare, monkeypatch):
    app = snapshot_app("start", monkeypatch)

    async def ready(pilot):
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_start_screen_small(snap_compare, monkeypatch, size):
    app = snapshot_app(f"start-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
@pytest.mark.parametrize("keys", [pytest.param((), id="top"), pytest.param(("end",), id="end")])
def test_wiring_screen(snap_compare, monkeypatch, size, keys):
    app = snapshot_app(f"wiring-{size[0]}x{size[1]}" + "-" + "-".join(keys), monkeypatch)

    async def ready(pilot):
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "WiringScreen")
        await pilot.press(*keys)
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_triage_with_flash_map(snap_compare, monkeypatch, size):
    app = snapshot_app(f"triage-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await to_finished_triage(pilot)
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_verdict_screen(snap_compare, monkeypatch, size):
    app = snapshot_app(f"verdict-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await quiet_verdict(pilot)
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_save_report_dialog(snap_compare, monkeypatch, size):
    app = snapshot_app(f"save-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await quiet_verdict(pilot)
        app.screen.query_one("#save-report").press()
        await wait_for(pilot, lambda: screen_name(app) == "SaveReportScreen", what="where to save")
        await steady(pilot)  # the field's cursor blinks; Save report below stays lit for 0.2 s after the press

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_end_screen_after_a_repair(snap_compare, monkeypatch, size):
    """The end screen after a repair that did not complete (a stand-in engine: no clock in a backup's name)."""
    from vescdoctor.fixes.execute import FixOutcome, Resume

    from tui_support import stand_in

    stand_in(monkeypatch, lambda on_event, backup_dir: FixOutcome(
        ok=False, actions=[{"step": "backup", "ok": True, "detail": "1 MiB and option bytes"},
                           {"step": "write-bootloader", "ok": False, "error": "the probe stopped answering"}],
        backups=[{"file": "backups/vesc-board-backup.bin"}],
        message="write-bootloader failed: the probe stopped answering", resume=Resume.FINISH))
    app = snapshot_app(f"end-{size[0]}x{size[1]}", monkeypatch)
    app.again_command = "vescdoctor fix --sim demo-board"

    async def ready(pilot):
        await quiet_verdict(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
        await pilot.press("tab", "enter")  # Erase and write
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", timeout=120, what="the end")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_confirmation_dialog(snap_compare, monkeypatch, size):
    app = snapshot_app(f"confirm-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await quiet_verdict(pilot)
        assert app.focused is not None and app.focused.id == "fix-go"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")

    assert snap_compare(app, terminal_size=size, run_before=ready)


# -- Questions and verdicts the demo does not show ------------------------------------------------------------

@pytest.mark.parametrize("size", SMALL_SIZES)
def test_hw_question(snap_compare, monkeypatch, size):
    """Mid-triage, the board's hardware asked (the app is gone), the update's HW offered in the field."""
    app = snapshot_app(f"hw-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen", what="start screen")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "WiringScreen", what="wiring screen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.current is not None and app.session.current.question == "hw"
                       and getattr(app.focused, "id", None) == "step-input", what="the hw question")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_no_probe_verdict(snap_compare, monkeypatch, size):
    """No debug probe: what to plug in, what `vescdoctor doctor` finds on this computer, and Look again focused."""
    app = snapshot_app(f"no-probe-{size[0]}x{size[1]}", monkeypatch, scenario="no-probe")

    async def ready(pilot):
        await quiet_verdict(pilot)
        assert app.session.verdict.code == "no-probe" and app.focused.id == "look-again"
        await wait_for(pilot, lambda: app.screen.query_one("#host-checks").checks is not None, what="host checks")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


# -- The repair running: progress mid-write, the quit question, a resize ----------------------------------------

def held_mid_write(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """A stand-in engine that backs up, then holds in the middle of the bootloader's write (writing=True) until
    released, or until the app ends (its workers are cancelled then: asyncio.run waits for the thread otherwise):
    (writing, release)."""
    from textual.worker import get_current_worker

    from vescdoctor.fixes.execute import FixOutcome, Resume

    writing, release = threading.Event(), threading.Event()

    def script(on_event, backup_dir):
        on_event(StandInEvent("phase", "backup", 0.0, "reading the whole flash into backups/vesc-board-backup.bin"))
        on_event(StandInEvent("progress", "backup", 1.0, "reading flash"))
        on_event(StandInEvent("phase", "erase", 0.0, "erasing the sectors the bootloader needs (sector 11)", True))
        on_event(StandInEvent("progress", "erase", 1.0, "erasing for the bootloader", True))
        on_event(StandInEvent("progress", "program", 0.4, "writing the bootloader", True))
        writing.set()
        worker = get_current_worker()
        while not release.wait(0.05) and not worker.is_cancelled:
            pass
        return FixOutcome(ok=False, message="stopped by the test", resume=Resume.FINISH)

    stand_in(monkeypatch, script)
    return writing, release


async def to_mid_write(pilot, writing: threading.Event) -> None:
    app = pilot.app
    await start_repair(pilot)
    await wait_for(pilot, lambda: writing.is_set() and app.writing and screen_name(app) == "FixScreen"
                   and "program" in str(app.screen.query_one("#fix-status").render()), what="the write")


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_fix_progress_mid_write(snap_compare, monkeypatch, size):
    writing, release = held_mid_write(monkeypatch)
    app = snapshot_app(f"fix-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await to_mid_write(pilot, writing)
        await steady(pilot)

    try:
        assert snap_compare(app, terminal_size=size, run_before=ready)
    finally:
        release.set()


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_quit_question_mid_write(snap_compare, monkeypatch, size):
    writing, release = held_mid_write(monkeypatch)
    app = snapshot_app(f"quit-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await to_mid_write(pilot, writing)
        await pilot.press("q")
        await wait_for(pilot, lambda: screen_name(app) == "QuitWhileWriting"
                       and getattr(app.focused, "id", None) == "quit-no", what="the quit question")
        await steady(pilot)

    try:
        assert snap_compare(app, terminal_size=size, run_before=ready)
    finally:
        release.set()


def test_resize_mid_write_rewraps_the_log(snap_compare, monkeypatch):
    """80x24 shrunk to 60x20 and back to 80x24 while the bootloader is written: the log's lines wrapped for the new
    width, whole (nothing cut at the border), no horizontal scrollbar; the picture is of the shrunk screen."""
    from vescdoctor.tui.widgets.wraplog import WrappingLog

    writing, release = held_mid_write(monkeypatch)
    app = snapshot_app("fix-resized", monkeypatch)

    def log_text(log: WrappingLog) -> str:
        return "".join(strip.text.rstrip() for strip in log.lines)

    async def ready(pilot):
        await to_mid_write(pilot, writing)
        log = app.screen.query_one("#fix-log", WrappingLog)
        whole = "".join(line for line in log.texts).replace(" ", "")
        for size in ((60, 20), (80, 24), (60, 20)):
            await pilot.resize_terminal(*size)
            await wait_for(pilot, lambda s=size: app.size == s, what="the resize")
            await pilot.pause(0.1)
            assert log.max_scroll_x == 0 and not log.show_horizontal_scrollbar
            assert all(strip.cell_length <= log.scrollable_content_region.width for strip in log.lines)
            assert log_text(log).replace(" ", "") == whole  # every character still there, none cut off
        await steady(pilot)

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=ready)
    finally:
        release.set()


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_end_screen_after_a_successful_repair(snap_compare, monkeypatch, size):
    """The end after a repair that worked: what was done, the backup kept, the verdict after it (healthy)."""
    from vescdoctor.fixes.execute import FixOutcome

    stand_in(monkeypatch, lambda on_event, backup_dir: FixOutcome(
        ok=True, actions=[{"step": "backup", "ok": True, "detail": "1 MiB and option bytes"},
                          {"step": "write-bootloader", "ok": True, "detail": "5388 bytes written and verified"},
                          {"step": "write-firmware", "ok": True,
                           "detail": "360440 bytes written and verified; bootloader unchanged"},
                          {"step": "reprobe", "ok": True, "detail": "verdict healthy"}],
        backups=[{"file": "backups/vesc-board-backup.bin"}], message="done: the board is healthy", after="healthy"))
    app = snapshot_app(f"end-ok-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await start_repair(pilot)
        await wait_for(pilot, lambda: screen_name(app) == "EndScreen", what="the end")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)
