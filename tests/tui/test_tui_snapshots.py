"""Snapshots of the TUI screens at 100x30 (pytest-textual-snapshot; update with --snapshot-update).

Deterministic by construction: the demo board sits at a fixed path (the bench names its probe after it), the app runs
from that directory so the image paths shown are relative, the header has no clock and no screen shows a timing."""
from __future__ import annotations

import pytest

from tui_support import enter_to_verdict, screen_name, snapshot_app, to_finished_triage, wait_for

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

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_start_screen_small(snap_compare, monkeypatch, size):
    app = snapshot_app(f"start-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")

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
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_triage_with_flash_map(snap_compare, monkeypatch, size):
    app = snapshot_app(f"triage-{size[0]}x{size[1]}", monkeypatch)
    assert snap_compare(app, terminal_size=size, run_before=to_finished_triage)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_verdict_screen(snap_compare, monkeypatch, size):
    app = snapshot_app(f"verdict-{size[0]}x{size[1]}", monkeypatch)
    assert snap_compare(app, terminal_size=size, run_before=quiet_verdict)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_save_report_dialog(snap_compare, monkeypatch, size):
    app = snapshot_app(f"save-{size[0]}x{size[1]}", monkeypatch)

    async def ready(pilot):
        await quiet_verdict(pilot)
        app.screen.query_one("#save-report").press()
        await wait_for(pilot, lambda: screen_name(app) == "SaveReportScreen", what="where to save")

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
        await pilot.pause(0.2)

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
