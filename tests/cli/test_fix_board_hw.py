"""The board's HW in `vescdoctor fix`: taken only from sources that speak for the board (the user's answer, a
backup's record with its source); the update in the buffer and earlier backups are hints the user confirms."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.sim import imagegen

from board_support import backups, fix, flash, last_line, make

BASE, BUFFER, BOOT = 0x08000000, 0x08080000, 0x080E0000


# -- The board's HW: the buffer and earlier backups are hints, not the board ------------------------------------------

def bricked_with_hw60_update(tmp_path: Path) -> Path:
    """The forum board, but the update VESC Tool left in the buffer is HW 60 firmware (what someone tried)."""
    board = make(tmp_path, "bricked-update")
    data = bytearray(flash(board))
    buf = imagegen.update_buffer(imagegen.firmware("60", "5.03", "release5"))
    data[BUFFER - BASE:BOOT - BASE] = b"\xff" * (BOOT - BUFFER)
    data[BUFFER - BASE:BUFFER - BASE + len(buf)] = buf
    (board / "flash.bin").write_bytes(bytes(data))
    return board


@pytest.mark.slow
@pytest.mark.parametrize("image,needle", [
    ("fw", "the firmware is built for HW 410 but the update in the buffer is for HW 60"),  # not "the board is 60"
    ("fw60", "only the update in the buffer says HW 60"),  # nor does it let HW 60 firmware in on its own
])
def test_an_update_in_the_buffer_is_a_hint_the_user_confirms(tmp_path, images, capsys, image, needle):
    board = bricked_with_hw60_update(tmp_path)
    before = flash(board)
    args = ("--bootloader", str(images["bl"]), "--firmware", str(images[image]), "--yes")
    # `unsure`: a rider who does not know (a simulated board's owner would answer the hw question with 410)
    assert fix(board, tmp_path, *args, "--answer", "hw=unsure") == 2
    line = last_line(capsys.readouterr().err)
    assert needle in line and f"--answer hw={'410' if image == 'fw' else '60'}" in line
    assert "the board is HW 60 (from" not in line
    assert flash(board) == before and not backups(tmp_path)
    if image == "fw":  # confirmed by the user, the HW 410 firmware goes in
        assert fix(board, tmp_path, *args, "--answer", "hw=410") == 0
        assert flash(board)[:0x4000] == images["fw"].read_bytes()[:0x4000]


def plant_backup(tmp_path: Path, board: Path, *, verdict: str | None, **record: str) -> Path:
    """A backup of this board (made by `vescdoctor backup`, so the UID is the board's) whose flash holds HW 60
    firmware, with the sidecar's verdict and HW record set as given."""
    folder = tmp_path / "backups"
    folder.mkdir(exist_ok=True)
    assert main(["backup", "--sim", str(board), str(folder)]) == 0
    image = backups(tmp_path)[-1]
    data = bytearray(image.read_bytes())
    fw60 = imagegen.firmware("60", "5.03", "release5")
    data[:len(fw60)] = fw60
    image.write_bytes(bytes(data))
    sidecar = image.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta.update(sha256=hashlib.sha256(bytes(data)).hexdigest(), verdict=verdict, **record)
    sidecar.write_text(json.dumps(meta))
    return image


@pytest.mark.slow
@pytest.mark.parametrize("verdict,record", [
    (None, {}),  # `vescdoctor backup` or a restore's safety backup: no verdict
    ("app-missing", {}),  # a fix's backup: its firmware shows what was installed, a hint
    ("app-missing", {"board_hw": "60"}),  # a HW recorded without a (strong) source, as before this fix
    ("app-missing", {"board_hw": "60", "board_hw_source": "buffer"}),
])
def test_an_earlier_backup_alone_does_not_let_hw60_firmware_onto_the_board(tmp_path, images, capsys, verdict,
                                                                           record):
    board = make(tmp_path, "app-erased")
    plant_backup(tmp_path, board, verdict=verdict, **record)
    before, saved = flash(board), backups(tmp_path)
    capsys.readouterr()
    assert fix(board, tmp_path, "--firmware", str(images["fw60"]), "--yes", "--answer", "hw=unsure") == 2
    line = last_line(capsys.readouterr().err)
    assert "--answer hw=" in line and "but the board is HW 60" not in line
    assert flash(board) == before and backups(tmp_path) == saved


@pytest.mark.slow
def test_a_fix_records_the_board_hw_with_its_source_and_the_next_fix_trusts_only_that(tmp_path, images, capsys):
    """An interrupted fix on a board with HW 60 firmware (the wrong one): the user said 410; the fix's backup
    records 410 from the answer, and the second fix, with the app gone, finishes from that record."""
    board = make(tmp_path, "wrong-hw-firmware", faults="{power_loss_after_erases: 2}")
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", "--answer", "hw=410") == 1
    first = backups(tmp_path)[0]
    meta = json.loads(first.with_suffix(".json").read_text())
    assert (meta["board_hw"], meta["board_hw_source"], meta["verdict"]) == ("410", "answer",
                                                                              "wrong-hardware-firmware")
    text = (board / "board.yaml").read_text()
    (board / "board.yaml").write_text(text.replace("power: 'off'", "power: 'on'").replace("power: off", "power: on"))
    capsys.readouterr()
    unsure = ("--answer", "hw=unsure")  # the rider does not know: the record must say it
    assert fix(board, tmp_path, "--firmware", str(images["fw60"]), "--yes", *unsure) == 2  # the record says 410
    assert "the board is HW 410 (from the board's hardware recorded with your backup" in capsys.readouterr().err
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", *unsure) == 0
    second = [b for b in backups(tmp_path) if b != first]
    meta = json.loads(second[0].with_suffix(".json").read_text())
    assert (meta["board_hw"], meta["board_hw_source"]) == ("410", "answer")  # the record keeps its source


def test_a_plan_keeps_no_board_hw_it_only_has_a_hint_for(images):
    """A bootloader-only plan on a board whose HW only the buffer tells: the plan (and so its backup's sidecar)
    carries no board HW; an answer is carried with its source."""
    from types import SimpleNamespace

    from vescdoctor.fixes.plan import make_plan
    from vescdoctor.images import load_image

    result = SimpleNamespace(findings=["bootloader-missing"], answers={},
                             facts={"swd.rdp_level": 0, "swd.wrp_sectors": [], "flash.buffer_hw": "410"})
    board = SimpleNamespace(verdict="bootloader-missing", result=result)
    plan = make_plan(board, bootloader=load_image(str(images["bl"])), firmware=None)
    assert (plan.board_hw, plan.board_hw_source) == (None, None)
    plan = make_plan(board, bootloader=load_image(str(images["bl"])), firmware=None, board_hw="410")
    assert (plan.board_hw, plan.board_hw_source) == ("410", "answer")


@pytest.mark.slow
def test_the_triage_asks_which_hardware_when_the_app_is_gone_and_the_owner_answers(tmp_path, images, capsys):
    """No firmware to say what the board is: the graph asks `hw` (node hw-repair); a simulated board's owner
    answers from board.yaml, so the forum case needs no --answer on the bench, and HW 60 firmware is refused by the
    answer, not by the update in the buffer."""
    board = bricked_with_hw60_update(tmp_path)
    assert main(["diagnose", "--sim", str(board), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["answers"]["hw"] == "410" and "hw-repair" in [s["node"] for s in report["path"]]
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw60"]), "--yes") == 2
    assert "the board is HW 410 (from your answer)" in last_line(capsys.readouterr().err)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes") == 0
