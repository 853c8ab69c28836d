"""`vescdoctor fix` on a read-protected board: the unlock (RDP regression) is a step a stop lands after, a chip
unlocked since the diagnosis is not erased, and the dry run says the configuration is lost."""
from __future__ import annotations

from pathlib import Path

import pytest

from vescdoctor.commands.wording import outcome_text

from board_support import backups, fix, flash, make

BASE, BUFFER, BOOT = 0x08000000, 0x08080000, 0x080E0000


# -- Unlock-rdp: a stop lands after the step; a chip unlocked meanwhile is not erased ---------------------------------

def read_protected_plan(tmp_path: Path, images):
    from vescdoctor.diagnosis import run_diagnosis
    from vescdoctor.environment import sim_environment
    from vescdoctor.fixes.plan import make_plan
    from vescdoctor.graph.loader import load_graph
    from vescdoctor.images import load_image

    board = make(tmp_path, "read-protected")
    with sim_environment(str(board)) as env:
        diagnosis = run_diagnosis(env, load_graph(), answers={"hw": "410"}, emit=lambda line: None)
    plan = make_plan(diagnosis, bootloader=load_image(str(images["bl"])), firmware=load_image(str(images["fw"])),
                     board_hw="410")
    assert plan.step_names[:2] == ["warn-no-backup", "unlock-rdp"] and "backup" not in plan.step_names
    return board, plan


def run_plan(board: Path, plan, tmp_path: Path, **kwargs):
    from vescdoctor.environment import sim_environment
    from vescdoctor.fixes.execute import execute_plan

    with sim_environment(str(board)) as env:
        return execute_plan(plan, env, backup_dir=tmp_path / "backups", **kwargs)


@pytest.mark.parametrize("strict", [True, False])
def test_a_stop_during_the_unlock_lands_after_it(tmp_path, images, strict):
    """A TUI-like caller asks to stop while the RDP regression runs (StopRequested on the next event it may stop
    at). The regression erased the whole flash: the outcome says unlock-rdp was done and the stop came after it.
    strict=False: a caller that raises on any event, even a writing one; the step still completes and counts."""
    from vescdoctor.fixes.execute import StopRequested

    board, plan = read_protected_plan(tmp_path, images)
    asked, seen = [], []

    def on_event(event):
        seen.append(event)
        if event.phase == "unlock":
            asked.append(True)
        if asked and (not event.writing or not strict):
            raise StopRequested

    outcome = run_plan(board, plan, tmp_path, on_event=on_event, should_stop=lambda: bool(asked))
    assert outcome.stopped and not outcome.ok
    assert all(e.writing for e in seen if e.phase == "unlock")
    assert outcome.actions[0]["step"] == "warn-no-backup" and outcome.actions[0]["ok"]
    assert outcome.actions[1]["step"] == "unlock-rdp" and outcome.actions[1]["ok"]
    assert outcome.actions[2] == {"step": "write-bootloader", "ok": False, "error": "stopped by the user",
                                  "detail": "not run: stopped by the user"}
    assert "after unlock-rdp" in outcome.message and "before any step" not in outcome.message
    assert flash(board) == b"\xff" * 0x100000  # the regression's mass erase happened: the report must say so


def test_a_chip_unlocked_since_the_diagnosis_is_not_erased(tmp_path, images):
    board, plan = read_protected_plan(tmp_path, images)
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("rdp: 187", "rdp: 170"))  # the owner lifted RDP meanwhile
    before = flash(board)
    outcome = run_plan(board, plan, tmp_path, on_event=lambda e: None)
    assert not outcome.ok and not outcome.stopped
    assert outcome.message.startswith("the chip changed since the diagnosis") and "\n" not in outcome.message
    assert "run `vescdoctor fix` again" in outcome_text(outcome)
    assert [a["step"] for a in outcome.actions] == ["warn-no-backup", "unlock-rdp"]
    assert not outcome.actions[1]["ok"]
    assert flash(board) == before and not backups(tmp_path)


@pytest.mark.slow
def test_the_next_fix_after_the_unlock_backs_the_flash_up(tmp_path, images, capsys):
    board, plan = read_protected_plan(tmp_path, images)
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("rdp: 187", "rdp: 170"))
    before = flash(board)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes",
               "--answer", "hw=410") == 0
    assert backups(tmp_path)[0].read_bytes() == before


def test_dry_run_on_a_read_protected_board_says_the_config_is_erased(tmp_path, images, capsys):
    board = make(tmp_path, "read-protected")
    capsys.readouterr()
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--dry-run",
               "--answer", "hw=410") == 0
    out = capsys.readouterr().out
    assert "ERASES THE WHOLE FLASH" in out and "kept as they are" not in out
    assert "Config sectors 1-2 (0x08004000..0x0800BFFF): will be erased by the RDP regression" in out
    assert "configuration will be lost" in out
