"""Fix steps declare themselves (fixes/steps/), the fix says so in typed events, and the engine's words name no
flag: each face words the typed errors and notices its own way."""
from __future__ import annotations

from pathlib import Path

import pytest

from vescdoctor.commands import wording as cli_words
from vescdoctor.errors import HardwareUnconfirmed, HardwareUnknown, ImageMissing, WrongImageKind
from vescdoctor.fixes.events import EventKind, Phase
from vescdoctor.fixes.plans_file import load_plans
from vescdoctor.fixes.records import Notice
from vescdoctor.fixes.steps import STEPS, plan_phases
from vescdoctor.sim import imagegen
from vescdoctor.tui import wording as tui_words

from board_support import make


def test_every_step_declares_itself_and_plans_yaml_lists_them_all():
    assert set(STEPS) == set(load_plans().order)
    for name, step in STEPS.items():
        assert step.name == name and step.title and step.phases and callable(step.run)
    assert [n for n, s in STEPS.items() if s.needs] == ["write-bootloader", "write-firmware"]
    assert plan_phases(["clear-wrp", "reset"]) == (Phase.UNLOCK, Phase.RESET)
    assert plan_phases(["backup", "write-firmware"]) == (Phase.BACKUP, Phase.ERASE, Phase.PROGRAM, Phase.VERIFY)


def test_the_tui_draws_the_bars_the_steps_declare():
    from types import SimpleNamespace

    from vescdoctor.tui.screens.fix import plan_phases as bars

    # the old guess from names gave erase/program/verify to any step with "write" in it, and nothing to "wrp"
    assert bars(SimpleNamespace(step_names=["clear-wrp", "reset", "reprobe"])) == ("unlock",)
    assert bars(SimpleNamespace(step_names=["backup", "write-bootloader"])) == ("backup", "erase", "program", "verify")


@pytest.mark.parametrize("exc", [
    ImageMissing([("bootloader", "bootloader-missing: x"), ("firmware", "app-missing: y")]),
    WrongImageKind("firmware", "bootloader", "bl.bin"),
    HardwareUnknown("410", "fw.bin"),
    HardwareUnconfirmed("410", "60", "the update in the buffer", "fw.bin"),
    HardwareUnconfirmed("410", "410", "the update in the buffer", "fw.bin"),
])
def test_the_engine_names_no_flag_and_each_face_words_it(exc):
    assert "--" not in str(exc) and "`" not in str(exc)
    cli, screen = cli_words.error_text(exc), tui_words.error_text(exc)
    assert cli.startswith(str(exc)) and "--" in cli
    assert screen.startswith(str(exc)) and "--" not in screen and "field" in screen


def test_notices_are_worded_by_each_face():
    skipped = Notice("also found bootloader-too-old, not fixed: it needs a bootloader image", kind="finding-skipped",
                     image="bootloader", code="bootloader-too-old")
    assert cli_words.notice_text(skipped) == ("also found bootloader-too-old, not fixed: pass --bootloader FILE to "
                                              "fix it too")
    unused = Notice("this plan does not write firmware (the firmware in flash is fine)", kind="image-unused",
                    image="firmware")
    assert cli_words.notice_text(unused).startswith("--firmware given but")
    assert str(unused) == tui_words.notice_text(unused) == ("a firmware image is given but this plan does not write "
                                                           "firmware (the firmware in flash is fine)")


@pytest.mark.slow
def test_a_fix_announces_its_phases_before_any_step(tmp_path):
    from vescdoctor.diagnosis import run_diagnosis
    from vescdoctor.environment import sim_environment
    from vescdoctor.fixes.execute import execute_plan
    from vescdoctor.fixes.plan import make_plan
    from vescdoctor.graph.loader import load_graph
    from vescdoctor.images import load_image

    board = make(tmp_path, "app-erased")
    fw = Path(tmp_path / "fw.bin")
    fw.write_bytes(imagegen.firmware("410", "5.03", "release5"))
    events = []
    with sim_environment(board) as env:
        diagnosis = run_diagnosis(env, load_graph(), answers={"hw": "410"})
        plan = make_plan(diagnosis, bootloader=None, firmware=load_image(fw), backup_dir=tmp_path / "backups")
        outcome = execute_plan(plan, env, on_event=events.append, backup_dir=tmp_path / "backups")
    assert outcome.ok, outcome.message
    assert events[0].kind is EventKind.PHASES
    assert events[0].phases == plan_phases(plan.step_names)
    started = [e.phase for e in events if e.kind is EventKind.PHASE]
    assert started[0] is Phase.BACKUP and set(started) <= set(events[0].phases)
