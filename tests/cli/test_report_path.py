"""`--report FILE` that cannot be written: refused before the board is touched when that is known at the start;
when it fails at the end, the command still says its outcome and exit code."""
from __future__ import annotations

import json
import os
import shutil
import types
from pathlib import Path

import pytest

from vescdoctor.cli import main

from board_support import fix_bricked, make

# -- --report FILE that cannot be written -----------------------------------------------------------------------------

def _unwritable(tmp_path: Path, kind: str, monkeypatch) -> Path:
    if kind == "directory":
        return tmp_path
    if kind == "missing-parent":
        return tmp_path / "no" / "such" / "report.json"
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root (and Windows, where chmod 0o500 refuses nothing) writes anywhere: the directory refuses as for a user
    if getattr(os, "geteuid", lambda: 0)() == 0:
        import tempfile

        import vescdoctor.report.files as files

        def mkstemp(*args, dir=None, **kwargs):
            if Path(dir) == locked:
                raise PermissionError(13, "Permission denied")
            return tempfile.mkstemp(*args, dir=dir, **kwargs)
        monkeypatch.setattr(files, "tempfile", types.SimpleNamespace(mkstemp=mkstemp))
    return locked / "report.json"


@pytest.mark.parametrize("kind", ["directory", "missing-parent", "no-permission"])
def test_fix_refuses_an_unwritable_report_before_touching_the_board(tmp_path, images, capsys, kind, monkeypatch):
    board = make(tmp_path, "bricked-update")
    before = (board / "flash.bin").read_bytes(), (board / "board.yaml").read_text()
    report = _unwritable(tmp_path, kind, monkeypatch)
    capsys.readouterr()
    assert fix_bricked(board, tmp_path, images, "--report", str(report)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"vescdoctor: {report}: cannot write")
    assert ((board / "flash.bin").read_bytes(), (board / "board.yaml").read_text()) == before
    assert not (tmp_path / "backups").exists()


@pytest.mark.parametrize("kind", ["directory", "missing-parent", "no-permission"])
def test_diagnose_refuses_an_unwritable_report_before_looking(tmp_path, capsys, kind, monkeypatch):
    board = make(tmp_path, "bricked-update")
    report = _unwritable(tmp_path, kind, monkeypatch)
    capsys.readouterr()
    assert main(["diagnose", "--sim", str(board), "--report", str(report)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "cannot write" in err


def _report_dir_vanishes(monkeypatch, report: Path) -> None:
    """The report's directory is removed while the command runs (after the check at its start)."""
    import vescdoctor.report.model as model

    real = model.write_report

    def write_report(*args, **kwargs):
        shutil.rmtree(report.parent)
        return real(*args, **kwargs)
    monkeypatch.setattr(model, "write_report", write_report)


@pytest.mark.slow
def test_fix_whose_report_cannot_be_written_at_the_end_still_reports_its_outcome(tmp_path, images, capsys,
                                                                                 monkeypatch):
    board = make(tmp_path, "bricked-update")
    report = tmp_path / "reports" / "fix.json"
    report.parent.mkdir()
    _report_dir_vanishes(monkeypatch, report)
    capsys.readouterr()
    assert fix_bricked(board, tmp_path, images, "--report", str(report), "--json") == 0  # the fix's exit code
    out, err = capsys.readouterr()
    doc = json.loads(out)  # the JSON still comes
    assert doc["after"]["verdict"] == "healthy" and doc["backups"]
    assert "ok  write-firmware" in err and "Fix done" in err
    assert Path(doc["backups"][0]["file"]).name in err  # the backup is named (the report redacts the path)
    last = err.strip().splitlines()[-1]
    assert last.startswith("vescdoctor: the report could not be written") and str(report) in last
    assert not report.exists()


def test_diagnose_whose_report_cannot_be_written_at_the_end_still_prints_the_verdict(tmp_path, capsys,
                                                                                     monkeypatch):
    board = make(tmp_path, "bricked-update")
    report = tmp_path / "reports" / "diag.json"
    report.parent.mkdir()
    _report_dir_vanishes(monkeypatch, report)
    capsys.readouterr()
    assert main(["diagnose", "--sim", str(board), "--report", str(report), "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["verdict"]["code"] == "app-missing"
    assert err.strip().splitlines()[-1].startswith("vescdoctor: the report could not be written")
