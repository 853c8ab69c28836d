"""Helpers for the TUI tests: a demo board, an app on it, and pilot steps that wait for the workers."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from vescdoctor.commands.tui import make_demo
from vescdoctor.tui.app import VescDoctorApp

# Snapshots must not change with the temporary directory: the bench names its debug probe after the board's
# absolute path, and the transcript shows that serial. Snapshot boards live at a fixed place.
SNAPSHOT_ROOT = Path("/tmp/vescdoctor-tui-snapshots")
SIZE = (100, 30)  # the terminal most pilot tests run in


def demo_app(root: Path, **kw) -> tuple[VescDoctorApp, dict[str, Path]]:
    demo = make_demo(root, firmware_size=kw.pop("firmware_size", "release5"))
    app = VescDoctorApp(board_dir=demo["board"], bootloader=kw.pop("bootloader", demo["bootloader"]),
                        firmware=kw.pop("firmware", demo["firmware"]), backup_dir=demo["backups"],
                        report_path=kw.pop("report_path", demo["report"]), board_label="bricked-update", **kw)
    return app, demo


def snapshot_app(name: str, monkeypatch, scenario: str | None = None) -> VescDoctorApp:
    """A demo app at a fixed path, run from that directory so the image paths shown are relative and constant; with
    `scenario`, on a board of that scenario (same place, same images) instead of the demo's."""
    root = SNAPSHOT_ROOT / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    demo = make_demo(root)
    monkeypatch.chdir(root)
    if scenario is not None:
        from vescdoctor.sim.scenario import build_board, find_scenario

        demo["board"] = root / scenario
        build_board(find_scenario(scenario), demo["board"], force=True)
    return VescDoctorApp(board_dir=demo["board"], bootloader="demo-bootloader.bin",
                         firmware=demo["firmware"].name, backup_dir="backups", report_path="report.json",
                         board_label=scenario or "bricked-update")


# How long a pilot waits for what must happen: long enough for a loaded machine (CI shares 2 cores; a busy one
# made 20 s too short), and a real hang still ends the test. Not a speed check: speed is measured in bench/.
PATIENCE = 180.0


async def wait_for(pilot, condition, timeout: float = PATIENCE, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what} (screen: {type(pilot.app.screen).__name__})")
        await pilot.pause(0.05)
    await pilot.pause()


async def steady(pilot) -> None:
    """Before a snapshot: nothing left that changes with time. Measured on the save dialog (its picture differed
    under load): a dialog's own footer is empty for a refresh or two after it opens (Footer fills itself from the
    bindings later), and the button pressed to open it stays highlighted for 0.2 s (seen through the dialog). Also a
    text cursor may blink (0.5 s), toasts the walk raised stay for seconds. So: the footer waited for, the highlight
    waited out, cursors made steady (shown), toasts cleared."""
    from textual.widgets import Button, Footer, Input

    app = pilot.app
    app.clear_notifications()
    for screen in app.screen_stack:
        for box in screen.query(Input):
            box.cursor_blink = False
    await wait_for(pilot, lambda: not any(button.has_class("-active") for screen in app.screen_stack
                                          for button in screen.query(Button)), what="pressed buttons to settle")
    await wait_for(pilot, lambda: all(footer.children or not _shown_bindings(app)
                                      for footer in app.screen.query(Footer)), what="the footer's keys")
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def _shown_bindings(app) -> bool:
    return any(b.binding.show for b in app.screen.active_bindings.values())


async def until_verdict(pilot) -> None:
    """The triage runs to its verdict; a question it asks on the way (which hardware, when the app is gone) gets
    Enter: the answer suggested (on a simulated board, its owner's)."""
    app = pilot.app
    for _ in range(5):
        await wait_for(pilot, lambda: app.session is not None and (app.session.finished or asking(app)),
                       what="the verdict or a question")
        if app.session.finished:
            return
        await pilot.press("enter")
    raise AssertionError("the triage kept asking")


def asking(app) -> bool:
    """The triage screen waits for a typed answer."""
    if screen_name(app) != "TriageScreen":
        return False
    boxes = app.screen.query("#step-input")
    return bool(boxes) and boxes.first().display and app.focused is boxes.first()


def screen_name(app) -> str:
    return type(app.screen).__name__


VERDICT_FOCUS = ("fix-go", "look-again", "save-report")  # where the verdict screen puts the focus


async def enter_to_verdict(pilot) -> None:
    """Enter alone, from the start screen to the verdict screen."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen", what="start screen")
    for _ in range(400):
        name = screen_name(app)
        if name == "VerdictScreen":
            await wait_for(pilot, lambda: getattr(app.focused, "id", None) in VERDICT_FOCUS,
                           what="the verdict screen's focus")
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.1)
            return
        if name == "TriageScreen" and not app.session.finished:
            focused = getattr(app.focused, "id", None) or ""
            if focused == "step-input" or focused.startswith("q-"):  # a question mid-triage: take the default
                await pilot.press("enter")
            await pilot.pause(0.05)
            continue
        await pilot.press("enter")
        await pilot.pause()
    raise AssertionError(f"Enter alone did not reach the verdict (at {screen_name(app)})")


async def to_finished_triage(pilot) -> None:
    """Start -> wiring -> triage, until the session reached its verdict (the triage screen still shown)."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen", what="start screen")
    for _ in range(3):
        await pilot.press("enter")
        await pilot.pause()
    await wait_for(pilot, lambda: screen_name(app) == "WiringScreen", what="wiring screen")
    await pilot.press("enter")
    await until_verdict(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.1)


# -- The repair as the TUI drives it: a stand-in engine, the consent, a backup on disk ----------------------------

def record_notes(app) -> list[tuple[str, str]]:
    """(severity, message) of every notification the app shows from now on."""
    notes: list[tuple[str, str]] = []
    real = app.notify

    def notify(message, *args, **kw):
        notes.append((kw.get("severity", "information"), str(message)))
        return real(message, *args, **kw)

    app.notify = notify
    return notes


class StandInEvent:
    def __init__(self, kind, phase, fraction=None, message="", writing=False):
        self.kind, self.phase, self.fraction, self.message, self.writing = kind, phase, fraction, message, writing


def stand_in(monkeypatch, script):
    """Replace the fix engine's execute_plan with `script(on_event, backup_dir)` (its return is the outcome)."""
    from vescdoctor.fixes import execute

    def fake_execute(plan, env, *, on_event, backup_dir, answers=None, should_stop=None):
        return script(on_event, Path(backup_dir))

    monkeypatch.setattr(execute, "execute_plan", fake_execute)


async def start_repair(pilot) -> None:
    app = pilot.app
    await enter_to_verdict(pilot)
    assert app.focused.id == "fix-go"
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the confirmation")
    await pilot.press("tab")
    assert app.focused.id == "confirm-yes"
    await pilot.press("enter")


def fake_backup(backup_dir: Path, name: str = "vesc-test-backup") -> dict:
    """What the engine's backup step leaves: the image and its sidecar."""
    import hashlib

    backup_dir.mkdir(parents=True, exist_ok=True)
    data = b"\xff" * 1024
    sha = hashlib.sha256(data).hexdigest()
    (backup_dir / f"{name}.bin").write_bytes(data)
    (backup_dir / f"{name}.json").write_text(json.dumps({"format": "vescdoctor-backup", "sha256": sha,
                                                        "size": len(data)}))
    return {"file": str(backup_dir / f"{name}.bin"), "sha256": sha, "size": len(data)}
