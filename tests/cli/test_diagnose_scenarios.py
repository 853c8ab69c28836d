"""Issue 4: every scenario (shared and built-in), made into a board, reaches its expected verdict and findings
through `vescdoctor diagnose --sim BOARD --json`, and a diagnosis never writes to the chip."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.knowledge.flash import CRC_FLAG_ADDR, FLASH_BASE
from vescdoctor.sim.scenario import build_board, builtin_scenarios, load_scenario

from testdata import SHARED_SCENARIOS, needs_scenarios

# The firmware's own first-boot CRC write is the only change a diagnosis may cause (when it resets a chip holding
# a freshly flashed image): the flag and CRC words of either release layout.
CRC_WORDS = [range(addr - FLASH_BASE, addr - FLASH_BASE + 8) for addr in CRC_FLAG_ADDR.values()]


def changed_outside_crc_words(before: bytes, after: bytes) -> list[int]:
    allowed = set().union(*CRC_WORDS)
    return [i for i in range(len(before)) if before[i] != after[i] and i not in allowed][:10] \
        if before != after else []


def diagnose_json(board: Path, capsys) -> tuple[int, dict]:
    code = main(["diagnose", "--sim", str(board), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def check(scenario, tmp_path: Path, capsys) -> None:
    board = tmp_path / "board"
    build_board(scenario, board)
    before = (board / "flash.bin").read_bytes()
    code, report = diagnose_json(board, capsys)
    assert report["verdict"]["code"] == scenario.expect.verdict, (report["findings"], report["path"])
    assert set(scenario.expect.findings) <= set(report["findings"]), report["findings"]
    assert code == (0 if scenario.expect.verdict == "healthy" else
                    3 if scenario.expect.verdict in ("no-probe", "probe-firmware-old", "target-unpowered",
                                                     "swd-no-response") else 1)
    after = (board / "flash.bin").read_bytes()
    assert changed_outside_crc_words(before, after) == [], "a diagnosis wrote to the chip"


@pytest.mark.parametrize("scenario", builtin_scenarios(), ids=lambda s: s.name)
def test_builtin_scenario_reaches_its_verdict(scenario, tmp_path, capsys):
    check(scenario, tmp_path, capsys)


@pytest.mark.slow
@needs_scenarios
@pytest.mark.parametrize("path", SHARED_SCENARIOS, ids=lambda p: p.stem)
def test_shared_scenario_reaches_its_verdict(path, tmp_path, capsys):
    check(load_scenario(path), tmp_path, capsys)


def test_builtins_cover_every_verdict_code():
    from vescdoctor.knowledge.verdicts import VERDICT_CODES

    assert {s.expect.verdict for s in builtin_scenarios()} == set(VERDICT_CODES)


@pytest.mark.slow
def test_diagnose_cli_contract(tmp_path):
    """As a script sees it: exit code, one JSON document on stdout, the report file, progress on stderr."""
    board, report_file = tmp_path / "board", tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "vescdoctor", "sim", "create", "bricked-update", str(board)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([sys.executable, "-m", "vescdoctor", "diagnose", "--sim", str(board), "--json",
                          "--report", str(report_file)], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["format"] == "vescdoctor-report" and report["verdict"]["code"] == "app-missing"
    assert "bootloader-missing" in report["findings"]
    assert json.loads(report_file.read_text())["verdict"]["code"] == "app-missing"
    assert "SWD" in run.stderr and "Traceback" not in run.stderr


def test_answer_validation(tmp_path, capsys):
    assert main(["diagnose", "--answer", "led=purple"]) == 2
    assert "not an answer to 'led'" in capsys.readouterr().err
    assert main(["diagnose", "--answer", "colour=red"]) == 2


def test_report_uid_shortened_unless_asked(tmp_path, capsys):
    board = tmp_path / "board"
    build_board(next(s for s in builtin_scenarios() if s.name == "healthy"), board)
    _, shared = diagnose_json(board, capsys)
    assert main(["diagnose", "--sim", str(board), "--json", "--keep-uid"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert len(kept["facts"]["swd.uid"]) == 24 and "..." not in kept["facts"]["swd.uid"]
    assert shared["facts"]["swd.uid"] != kept["facts"]["swd.uid"] and "..." in shared["facts"]["swd.uid"]
