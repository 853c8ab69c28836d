"""Snapshots of the TUI screens at 100x30 (pytest-textual-snapshot; update with --snapshot-update).

Deterministic by construction: the demo board sits at a fixed path (the bench names its probe after it), the app runs
from that directory so the image paths shown are relative, the header has no clock and no screen shows a timing."""
from __future__ import annotations

import pytest

from tui_support import enter_to_verdict, screen_name, snapshot_app, to_finished_triage, wait_for

pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)

SIZE = (100, 30)


def test_start_screen(snap_compare, monkeypatch):
    app = snapshot_app("start", monkeypatch)

    async def ready(pilot):
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_wiring_screen(snap_compare, monkeypatch):
    app = snapshot_app("wiring", monkeypatch)

    async def ready(pilot):
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "WiringScreen")

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_triage_with_flash_map(snap_compare, monkeypatch):
    app = snapshot_app("triage", monkeypatch)
    assert snap_compare(app, terminal_size=SIZE, run_before=to_finished_triage)


def test_verdict_screen(snap_compare, monkeypatch):
    app = snapshot_app("verdict", monkeypatch)
    assert snap_compare(app, terminal_size=SIZE, run_before=enter_to_verdict)


def test_confirmation_dialog(snap_compare, monkeypatch):
    app = snapshot_app("confirm", monkeypatch)

    async def ready(pilot):
        await enter_to_verdict(pilot)
        assert app.focused is not None and app.focused.id == "fix-go"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
