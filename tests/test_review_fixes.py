"""Review fixes, as a user sees them: --report paths, an interrupted restore, boards that answer only under reset,
the wait for USB after a fix, a board directory deleted mid-run, --debug after the subcommand."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from vescdoctor.cli import build_parser, main
from vescdoctor.fixes import execute
from vescdoctor.fixes.steps import reprobe
from vescdoctor.fixes.plan import Plan, PlanStep
from vescdoctor.sim import imagegen

from board_support import make

SHARED = Path(__file__).resolve().parents[2] / "shared"
NEEDS_RESET_BRICKED = SHARED / "scenarios" / "needs-reset-bricked.yaml"


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    out = {"bl": tmp_path / "bl.bin", "fw": tmp_path / "fw.bin"}
    out["bl"].write_bytes(imagegen.bootloader())
    out["fw"].write_bytes(imagegen.firmware("410", "5.03", "release5"))
    return out


def fix_bricked(board: Path, tmp_path: Path, images, *extra: str) -> int:
    return main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), "--bootloader",
                 str(images["bl"]), "--firmware", str(images["fw"]), "--yes", "--answer", "hw=410", *extra])


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("vescdoctor:")]


# -- 1. --report FILE that cannot be written ------------------------------------------------------------------------

def _unwritable(tmp_path: Path, kind: str, monkeypatch) -> Path:
    if kind == "directory":
        return tmp_path
    if kind == "missing-parent":
        return tmp_path / "no" / "such" / "report.json"
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere: the directory refuses as it would refuse a user
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


# -- 2. an interrupted restore names its safety backup --------------------------------------------------------------

def test_interrupted_restore_names_the_safety_backup(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    board = make(tmp_path, "healthy")
    backup = tmp_path / "saved.bin"
    assert main(["backup", "--sim", str(board), str(backup)]) == 0
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("faults: {}", "faults: {probe_unplug_after_bytes: 5000}"))
    capsys.readouterr()
    assert main(["restore", "--sim", str(board), str(backup), "--yes"]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    lines = error_lines(err)
    assert len(lines) == 1 and lines[0].startswith("vescdoctor: restore did not complete")
    assert "debug probe was lost" in lines[0]
    safety = sorted((tmp_path / "data" / "vescdoctor" / "backups").glob("*.bin"))
    assert len(safety) == 1 and str(safety[0]) in lines[0]
    assert safety[0].read_bytes() == backup.read_bytes()  # the flash as it was before the restore


# -- 3. a board that answers SWD only under reset --------------------------------------------------------------------

def needs_reset_bricked(tmp_path: Path) -> Path:
    """The shared scenario when ../shared is there; otherwise the same board from the built-in app-erased one."""
    if NEEDS_RESET_BRICKED.exists():
        return make(tmp_path, str(NEEDS_RESET_BRICKED))
    board = make(tmp_path, "app-erased")
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("swd: ok", "swd: needs-reset"))
    return board


def test_fix_on_a_board_reachable_only_under_reset_completes(tmp_path, images, capsys):
    board = needs_reset_bricked(tmp_path)
    assert "swd: needs-reset" in (board / "board.yaml").read_text()
    capsys.readouterr()
    rc = main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), "--answer", "hw=410",
               "--firmware", str(images["fw"]), "--yes", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["after"]["verdict"] == "swd-needs-reset" and doc["after"]["findings"] == ["swd-needs-reset"]
    assert [a["ok"] for a in doc["actions"]] == [True] * 4
    assert "ok  reset" in err and "FAILED" not in err
    assert "Fix done" in err and "fix did not complete" not in err
    # and a diagnosis afterwards finds nothing but the finding
    capsys.readouterr()
    assert main(["diagnose", "--sim", str(board), "--json", "--answer", "hw=410"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["findings"] == ["swd-needs-reset"]


def test_after_verdict_swd_needs_reset_counts_only_alone():
    def after(verdict, findings):
        return types.SimpleNamespace(verdict=verdict, result=types.SimpleNamespace(findings=findings))
    assert execute._fixed(after("healthy", []))
    assert execute._fixed(after("swd-needs-reset", ["swd-needs-reset"]))
    assert execute._fixed(after("healthy", ["swd-needs-reset"]))
    assert not execute._fixed(after("swd-needs-reset", ["swd-needs-reset", "bootloader-missing"]))
    assert not execute._fixed(after("app-missing", ["app-missing", "swd-needs-reset"]))


# -- 4. the fresh look waits for the VESC on USB ---------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now, self.sleeps = 100.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class SlowUsb:
    """A VESC that enumerates after `after` looks at the serial ports (never, for None)."""

    def __init__(self, after: int | None):
        self.after, self.looks = after, 0

    def serial_ports(self):
        self.looks += 1
        if self.after is not None and self.looks > self.after:
            return [types.SimpleNamespace(vid=0x0483, pid=0x5740, device="/dev/ttyACM0")]
        return [types.SimpleNamespace(vid=0x0483, pid=0x3748, device="/dev/ttyACM1")]  # an ST-Link's VCP


def test_wait_for_vesc_usb_polls_every_0_2_s():
    clock = FakeClock()
    env = SlowUsb(after=7)
    assert reprobe.wait_for_vesc_usb(env, clock=clock, sleep=clock.sleep) == pytest.approx(1.4)
    assert clock.sleeps == [pytest.approx(0.2)] * 7


def test_wait_for_vesc_usb_gives_up_after_5_s():
    clock = FakeClock()
    assert reprobe.wait_for_vesc_usb(SlowUsb(after=None), clock=clock, sleep=clock.sleep) is None
    assert sum(clock.sleeps) == pytest.approx(5.0) and len(clock.sleeps) == 25


def test_wait_for_vesc_usb_does_not_sleep_when_it_is_there():
    clock = FakeClock()
    assert reprobe.wait_for_vesc_usb(SlowUsb(after=0), clock=clock, sleep=clock.sleep) == 0.0
    assert clock.sleeps == []


def test_no_wait_when_the_firmware_cannot_enumerate():
    def plan(verdict, steps, findings=()):
        return Plan(verdict, [PlanStep(s, s, False) for s in steps], [], [], "", findings=list(findings))
    assert reprobe.firmware_should_enumerate(plan("app-missing", ["backup", "write-firmware", "reset", "reprobe"]))
    assert reprobe.firmware_should_enumerate(plan("bootloader-missing", ["backup", "write-bootloader", "reset"]))
    assert not reprobe.firmware_should_enumerate(plan("bootloader-missing", ["write-bootloader"], ["usb-cable"]))
    assert not reprobe.firmware_should_enumerate(plan("write-protected", ["clear-wrp"], ["dfu-mode"]))
    assert not reprobe.firmware_should_enumerate(plan("bootloader-missing", ["write-bootloader"], ["app-missing"]))


def test_fix_on_the_bench_says_how_long_usb_took_without_sleeping(tmp_path, images, capsys, monkeypatch):
    slept = []
    monkeypatch.setattr(execute, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=slept.append))
    board = make(tmp_path, "bricked-update")
    capsys.readouterr()
    assert fix_bricked(board, tmp_path, images) == 0
    err = capsys.readouterr().err
    reprobe = err[err.index("[reprobe]"):]
    assert "USB: the VESC (0483:5740) enumerated after 0.0 s" in reprobe.splitlines()[1]
    assert slept == []


# -- 5. a board directory deleted while the bench runs ---------------------------------------------------------------

def test_board_directory_deleted_mid_run_is_one_line_at_exit(tmp_path):
    board = make(tmp_path, "healthy")
    code = ("import shutil, sys, weakref\n"
            "from vescdoctor.sim.bench import Bench\n"
            "bench = Bench.acquire(sys.argv[1])\n"
            "holder = type('Holder', (), {})()\n"
            "weakref.finalize(holder, bench.release)  # as the bench's pyOCD probe releases it\n"
            "shutil.rmtree(sys.argv[1])\n"
            "print('Fix done', file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(board)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["Fix done", f"vescdoctor: {board}: board directory gone: state not "
                                                            "saved"]


# -- 6. --debug after the subcommand; pyOCD's log lines quiet in diagnose too ----------------------------------------

@pytest.mark.parametrize("argv", [["diagnose", "--debug"], ["--debug", "diagnose"], ["fix", "--yes", "--debug"],
                                  ["rules", "check", "--debug"], ["sim", "list", "--debug"]])
def test_debug_is_accepted_before_and_after_the_subcommand(argv):
    assert build_parser().parse_args(argv).debug is True


@pytest.mark.parametrize("argv", [["diagnose"], ["rules", "check"], []])
def test_debug_defaults_to_off(argv):
    assert build_parser().parse_args(argv).debug is False


def _diagnose_stderr(board: Path, *extra: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "vescdoctor", "diagnose", "--sim", str(board), *extra],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stderr


def test_diagnose_keeps_pyocd_log_lines_out_unless_debug(tmp_path):
    board = make(tmp_path, "swd-needs-reset")
    own = ("SWD", "USB", "VESC", "Flash", "Q ", "Looking", "Asking", "Connecting", "Reading")
    quiet = [line for line in _diagnose_stderr(board).splitlines() if line and not line.startswith(own)]
    assert quiet == []
    loud = _diagnose_stderr(board, "--debug")  # after the subcommand: pyOCD's log is kept
    assert "Error during board uninit" in loud or "Get IDCODE error" in loud


def test_quiet_pyocd_is_one_helper_for_every_board_command():
    import vescdoctor.commands.backup as backup
    import vescdoctor.commands.diagnose as diagnose
    import vescdoctor.commands.fix as fix
    import vescdoctor.commands.restore as restore

    for module in (fix, backup, restore, diagnose):
        assert "quiet_pyocd(args)" in Path(module.__file__).read_text()
    assert not hasattr(fix, "quiet_pyocd") or fix.quiet_pyocd is diagnose.quiet_pyocd
    logger = logging.getLogger("pyocd")
    level = logger.level
    try:
        diagnose.quiet_pyocd(types.SimpleNamespace(debug=False))
        assert logger.level == logging.CRITICAL
    finally:
        logger.setLevel(level)
