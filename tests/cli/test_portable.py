"""Every rider's computer: the CLI flow with the Unix-only modules unavailable and sys.platform set to win32 and
darwin (in a child interpreter, tests/portable_harness.py); a Windows "Access is denied" on the VESC's port; a probe
on USB without a driver on Windows."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).with_name("portable_harness.py")


@pytest.fixture
def as_windows(monkeypatch):
    """sys.platform = win32 for vescdoctor's branches; libraries that pick a native library by sys.platform when
    imported (Unicorn, platformdirs, pyserial's port lister) are imported first, as their Windows builds would be
    there."""
    import platformdirs  # noqa: F401
    import serial.tools.list_ports  # noqa: F401
    import unicorn  # noqa: F401

    monkeypatch.setattr(sys, "platform", "win32")

# argv[:2] -> the exit code the flow must give on every OS (the bricked board is fixed, then restored)
EXPECTED = [("rules", 0), ("sim", 0), ("diagnose", 1), ("backup", 0), ("fix", 0), ("diagnose", 0), ("restore", 0),
            ("report", 0), ("replay", 0), ("inspect", 0), ("doctor", None), ("doctor", 0), ("sim", 0),
            ("diagnose", 1)]


@pytest.mark.slow  # a child interpreter
def test_the_blocker_refuses_unix_only_modules_to_vescdoctor_code():
    run = subprocess.run([sys.executable, str(HARNESS), "win32", "--self-test"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr


@pytest.mark.slow  # a child interpreter running every command, a fix included
@pytest.mark.parametrize("platform, os_name", [("win32", "windows"), ("darwin", "macos")])
def test_the_whole_cli_flow_runs_without_unix_only_modules(tmp_path, platform, os_name):
    run = subprocess.run([sys.executable, str(HARNESS), platform, str(tmp_path)], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    steps = json.loads(run.stdout)
    assert [s["argv"][0] for s in steps] == [name for name, _ in EXPECTED]
    for step, (_, code) in zip(steps, EXPECTED):
        assert "internal error" not in step["err"] and "Traceback" not in step["err"], step
        if code is not None:
            assert step["code"] == code, step
    doctor = json.loads(steps[10]["out"])
    assert doctor["os"] == os_name and doctor["ok"] == (steps[10]["code"] == 0)
    ids = {c["id"] for c in doctor["checks"]}
    assert {"python", "pyocd", "usb", "probe", "vesc-port", "backup-space"} <= ids
    assert ("vesc-driver" in ids) == (platform == "win32") and ("drivers" in ids) == (platform == "darwin")
    assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in steps[11]["out"]
    busy = json.loads(steps[13]["out"])
    assert busy["verdict"]["code"] == "host-port-busy" and busy["facts"]["vesc.open_error"] == "busy"
    if platform == "win32":  # serialwin32's words: errno None, winerror 5 in the text only
        assert busy["facts"]["vesc.port"].startswith("vescsim://COM")
        assert busy["facts"]["vesc.open_error_text"].endswith("PermissionError(13, 'Access is denied.', None, 5)")


@pytest.mark.slow  # a whole diagnosis on the bench
def test_windows_access_is_denied_on_the_vesc_port_ends_host_port_busy(tmp_path, as_windows, capsys):
    from vescdoctor.cli import main

    board = tmp_path / "b"
    assert main(["sim", "create", "port-busy", str(board)]) == 0
    capsys.readouterr()
    assert main(["diagnose", "--sim", str(board), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"]["code"] == "host-port-busy"
    assert "Access is denied" in report["facts"]["vesc.open_error_text"]


def test_classify_open_error_reads_windows_words_not_errno():
    import serial

    from vescdoctor.probes.vesc import classify_open_error

    win = serial.SerialException("could not open port 'COM5': PermissionError(13, 'Access is denied.', None, 5)")
    assert win.errno is None and classify_open_error(win) == "busy"
    assert classify_open_error(PermissionError(13, "Access is denied.", None, 5)) == "busy"
    assert classify_open_error(serial.SerialException(13, "could not open port /dev/ttyACM0: [Errno 13] "
                                                          "Permission denied: '/dev/ttyACM0'")) == "permission"


# --- a probe on USB without a driver (Windows) ----------------------------------------------------------------

def _no_driver_backend(bench, error: Exception | None = None):
    """The bench's USB as libusb shows it on Windows when the ST-Link has no WinUSB driver: listed, descriptors
    readable, but opening it fails with LIBUSB_ERROR_NOT_SUPPORTED (pyusb: NotImplementedError). `error`: another
    refusal instead (Linux without a udev rule: USBError EACCES)."""
    from vescdoctor.knowledge.usb_ids import DEBUG_PROBES

    backend = bench.usb_backend
    real_open = backend.open_device

    def open_device(dev):
        if (dev.vid, dev.pid) in DEBUG_PROBES:
            raise error or NotImplementedError("Operation not supported or unimplemented on this platform")
        return real_open(dev)

    backend.open_device = open_device
    return backend


def test_a_probe_on_usb_without_a_driver_ends_with_the_windows_driver_steps(tmp_path, as_windows, monkeypatch,
                                                                            capsys):
    from vescdoctor import environment
    from vescdoctor.cli import main
    from vescdoctor.sim.bench import Bench

    board = tmp_path / "b"
    assert main(["sim", "create", "bricked-update", str(board)]) == 0
    bench = Bench.acquire(board)
    try:
        # This computer as Windows: real serial ports and pyOCD's real probe search (no probe it can open), the
        # bench's USB bus with the ST-Link on it.
        monkeypatch.setattr(environment, "real_environment",
                            lambda probe_uid=None: environment.HostEnvironment(usb_backend=_no_driver_backend(bench)))
        capsys.readouterr()
        code = main(["diagnose", "--json", "--answer", "symptom=no-usb", "--answer", "led=blue-only"])
    finally:
        bench.release()
    report = json.loads(capsys.readouterr().out)
    assert code == 3 and report["verdict"]["code"] == "no-probe"
    assert report["facts"]["usb.probe_driver_missing"] is True and report["facts"]["usb.host_os"] == "windows"
    assert report["verdict"]["title"] == "The debug probe has no driver on this computer"
    steps = " ".join(report["verdict"].get("next_steps", []))
    assert "STSW-LINK009" in steps and "Zadig" in steps


def test_on_linux_a_probe_this_user_may_not_open_points_to_the_udev_rules(tmp_path, monkeypatch):
    import errno

    import usb.core

    from vescdoctor.environment import HostEnvironment
    from vescdoctor.probes import usb as usb_probe  # noqa: F401  (registers usb.scan)
    from vescdoctor.probes.base import ProbeContext, run_probe
    from vescdoctor.sim.bench import Bench
    from vescdoctor.sim.scenario import build_board, find_scenario

    board = tmp_path / "b"
    build_board(find_scenario("bricked-update"), board)
    bench = Bench.acquire(board)
    monkeypatch.setattr(sys, "platform", "linux")
    refused = usb.core.USBError("Access denied (insufficient permissions)", -3, errno.EACCES)  # LIBUSB_ERROR_ACCESS
    try:
        with HostEnvironment(usb_backend=_no_driver_backend(bench, refused)) as env:
            result = run_probe("usb.scan", ProbeContext(env=env, facts={}, answers={}))
    finally:
        bench.release()
    (probe,) = result.facts["usb.debug_probes"]
    assert probe["open_error"] == "access" and result.facts["usb.probe_driver_missing"] is None
    assert any("no udev rule: vescdoctor doctor --udev-rules" in line for line in result.transcript)
