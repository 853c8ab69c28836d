"""Input a rider or a helper really gives, handled with one clear line: HW spellings, devices and pipes as image
files, bad answers in board.yaml, reports whose answers are not codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from vescdoctor.cli import main
from vescdoctor.diagnosis import parse_answers


@pytest.mark.parametrize("given,meant", [("410", "410"), ("4.12", "410"), ("VESC 4.11", "410"), ("unsure", "unsure"),
                                         ("75_300", "75_300"), ("a200s v2.1", "A200S V2.1")])
def test_hw_answers_are_read_as_the_firmware_spells_them(given, meant):
    assert parse_answers([f"hw={given}"]) == {"hw": meant}


def test_an_unknown_hw_name_is_refused_rather_than_compared(capsys):
    assert main(["diagnose", "--answer", "hw=banana"]) == 2
    err = capsys.readouterr().err
    assert "not a VESC HW name" in err and "unsure" in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and /dev/zero are Unix's")
def test_inspect_a_device_or_a_pipe_says_so_at_once(tmp_path):
    fifo = tmp_path / "pipe.bin"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        run = subprocess.run([sys.executable, "-m", "vescdoctor", "inspect", path], capture_output=True, text=True,
                             timeout=20)
        assert run.returncode == 2 and "not a regular file" in run.stderr, run.stderr


def test_board_yaml_answer_codes_are_checked_at_load(tmp_path, capsys):
    board = tmp_path / "b"
    assert main(["sim", "create", "healthy", str(board)]) == 0
    with open(board / "board.yaml", "a") as f:
        f.write("answers: {led: purple}\n")
    capsys.readouterr()
    assert main(["diagnose", "--sim", str(board)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"vescdoctor: {board / 'board.yaml'}:") and "answers.led" in err and "'purple'" in err


def test_replay_refuses_a_report_whose_answers_are_not_codes(tmp_path, capsys):
    board, report = tmp_path / "b", tmp_path / "r.json"
    assert main(["sim", "create", "bricked-update", str(board)]) == 0
    assert main(["diagnose", "--sim", str(board), "--report", str(report)]) == 1
    data = json.loads(report.read_text())
    data["answers"]["symptom"] = "exploded"
    report.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["replay", str(report)]) == 2
    assert "answers.symptom" in capsys.readouterr().err
