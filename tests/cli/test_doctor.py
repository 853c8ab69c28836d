"""`vescdoctor doctor`: this machine's checks and exit code, the udev rules (udevadm verify where it exists, else
udev's syntax checked here), and each OS's checks with the machine faked (Windows' registry, macOS' lsof)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.hostcheck import Seen, backup_space_check, run_checks
from vescdoctor.hostcheck.udev import STLINK_PIDS, rules_text


@pytest.mark.slow  # pyOCD's probe search on this machine, twice
def test_doctor_on_this_machine_prints_one_line_per_check_and_exits_by_them(capsys):
    code = main(["doctor", "--json"])
    doc = json.loads(capsys.readouterr().out)  # one JSON document, nothing else on stdout
    statuses = [c["status"] for c in doc["checks"]]
    assert doc["format"] == "vescdoctor-doctor" and set(statuses) <= {"ok", "warn", "fail"}
    assert code == (1 if "fail" in statuses else 0) and doc["ok"] == (code == 0)
    assert all(c["fix"] for c in doc["checks"] if c["status"] == "fail")
    assert main(["doctor"]) == code
    text = capsys.readouterr().out
    assert sum(line.startswith(("[ok]", "[warn]", "[FAIL]")) for line in text.splitlines()) == len(statuses)


# --- udev rules -------------------------------------------------------------------------------------------------

_MATCH = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS", "ATTR", "ATTRS",
          "ENV", "TAG", "TAGS", "TEST", "PROGRAM", "RESULT", "NAME", "SYMLINK", "CONST", "SYSCTL"}
_ASSIGN = {"NAME", "SYMLINK", "OWNER", "GROUP", "MODE", "TAG", "ENV", "ATTR", "SYSCTL", "RUN", "LABEL", "GOTO",
           "IMPORT", "OPTIONS", "SECLABEL"}
_TOKEN = re.compile(r'(?P<key>[A-Z_]+)(\{(?P<attr>[^}]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"')


def udev_syntax_errors(text: str) -> list[str]:
    """udev(7)'s rule syntax: comma-separated KEY[{attr}] OP "value"; == and != only on match keys, = += -= := only
    on assignment keys; every rule matches something and assigns something."""
    errors = []
    for number, line in enumerate(text.replace("\\\n", " ").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        matches = assigns = 0
        for part in (p.strip() for p in line.split(", ")):
            token = _TOKEN.fullmatch(part)
            if token is None:
                errors.append(f"line {number}: {part!r} is not KEY OP \"value\"")
                continue
            is_match = token["op"] in ("==", "!=")
            if token["key"] not in (_MATCH if is_match else _ASSIGN):
                errors.append(f"line {number}: {token['key']} with {token['op']}")
            matches += is_match
            assigns += not is_match
        if not (matches and assigns):
            errors.append(f"line {number}: a rule needs a match and an assignment")
    return errors


def _udevadm_verify() -> str | None:
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        return None
    probe = subprocess.run([udevadm, "verify", "--help"], capture_output=True, text=True)
    return udevadm if probe.returncode == 0 else None  # systemd >= 253


def test_udev_rules_are_accepted(tmp_path, capsys):
    assert main(["doctor", "--udev-rules"]) == 0
    text = capsys.readouterr().out
    assert udev_syntax_errors(text) == []
    assert udev_syntax_errors('SUBSYSTEM="usb", MODE=="0666"\n') != []  # the checker does refuse
    udevadm = _udevadm_verify()
    if udevadm is not None:
        path = tmp_path / "50-vescdoctor.rules"
        path.write_text(text)
        run = subprocess.run([udevadm, "verify", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def test_udev_rules_cover_every_st_link_cmsis_dap_and_the_vesc_and_say_how_to_install():
    text = rules_text()
    assert set(STLINK_PIDS) == {"3748", "374b", "374d", "374e", "374f", "3752", "3753", "3754", "3755", "3757",
                                "374a"}
    for pid in STLINK_PIDS:
        assert f'ATTRS{{idProduct}}=="{pid}"' in text
    assert 'ATTR{product}=="*CMSIS-DAP*"' in text and 'SUBSYSTEM=="hidraw"' in text
    assert 'ATTRS{idVendor}=="0483", ATTRS{idProduct}=="5740", ENV{ID_MM_DEVICE_IGNORE}="1"' in text
    assert "sudo tee /etc/udev/rules.d/50-vescdoctor.rules" in text and "udevadm control --reload" in text
    assert all(line.startswith("#") for line in text.splitlines()[:8])


def test_the_linux_checks_recognise_the_installed_rules(tmp_path):
    from vescdoctor.probes.host import linux

    rules = tmp_path / "rules.d"
    rules.mkdir()
    assert linux.udev_rule_for(0x0483, 0x3748, (str(rules),)) is False
    (rules / "50-vescdoctor.rules").write_text(rules_text())
    for pid in STLINK_PIDS:
        assert linux.udev_rule_for(0x0483, int(pid, 16), (str(rules),)) is True
    assert linux.udev_modemmanager_ignore(0x0483, 0x5740, (str(rules),)) is True


def test_the_no_probe_verdicts_point_to_doctor_not_to_a_folder_the_wheel_lacks():
    text = (Path(__file__).parents[2] / "rules" / "triage.yaml").read_text()
    assert "pyOCD's udev/ folder" not in text and "vescdoctor doctor --udev-rules" in text


# --- each OS's lines, the machine faked ----------------------------------------------------------------------

STLINK = {"kind": "stlink-v2", "name": "ST-Link/V2", "vid": "0483", "pid": "3748", "serial": None,
          "open_error": "no-driver"}
CLONE = {"kind": "cmsis-dap", "name": "CMSIS-DAP probe", "vid": "0483", "pid": "572a", "serial": None,
         "open_error": "no-driver"}


def _fake_winreg(tree: dict[str, dict[str, str | None]]):
    """A winreg over {device key: {instance: Service or None}} under HKLM\\...\\Enum\\USB."""
    class Key:
        def __init__(self, node):
            self.node = node

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def open_key(parent, name):
        if parent == "HKLM":
            return Key(tree)
        node = parent.node.get(name)
        if node is None:
            raise OSError(2, "not found")
        return Key(node)

    def enum_key(key, index):
        names = list(key.node) if isinstance(key.node, dict) else []
        if index >= len(names):
            raise OSError(259, "no more data")
        return names[index]

    def query_value(key, name):
        if not isinstance(key.node, str):
            raise OSError(2, "no value")
        return key.node, 1

    return types.SimpleNamespace(HKEY_LOCAL_MACHINE="HKLM", OpenKey=open_key, EnumKey=enum_key,
                                 QueryValueEx=query_value)


@pytest.fixture
def windows(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")

    def with_registry(tree):
        monkeypatch.setitem(sys.modules, "winreg", _fake_winreg(tree))
    return with_registry


def _by_id(checks, id_):
    return [c for c in checks if c.id == id_]


def test_windows_a_probe_without_a_driver_fails_with_st_s_driver_or_zadig(windows):
    windows({"VID_0483&PID_3748": {"066D": {}}, "VID_0483&PID_572A": {"0001": {}},
             "VID_0483&PID_5740": {"304": "usbser"}})
    checks = run_checks(Seen(usb_probes=[STLINK, CLONE], vesc_ports=["COM5"]))
    probe_lines = _by_id(checks, "probe")
    assert [c.status for c in probe_lines] == ["fail", "fail"]  # on USB, pyOCD cannot open them
    drivers = _by_id(checks, "probe-driver")
    assert [c.status for c in drivers] == ["fail", "fail"]
    assert "STSW-LINK009" in drivers[0].fix and "Zadig" in drivers[1].fix and "WinUSB" in drivers[1].fix
    assert _by_id(checks, "vesc-driver")[0].status == "ok"


def test_windows_a_probe_with_winusb_is_fine_and_a_vesc_stolen_by_zadig_is_not(windows):
    windows({"VID_0483&PID_3748": {"066D": "WinUSB"}, "VID_0483&PID_5740": {"304": "WinUSB"}})
    checks = run_checks(Seen(usb_probes=[dict(STLINK, open_error=None)]))
    assert _by_id(checks, "probe-driver")[0].status == "ok"
    vesc = _by_id(checks, "vesc-driver")[0]
    assert vesc.status == "fail" and "usbser" in vesc.detail and "Uninstall device" in vesc.fix


def test_windows_without_a_readable_registry_trusts_libusb(windows, monkeypatch):
    monkeypatch.setitem(sys.modules, "winreg", None)  # import fails
    from vescdoctor.probes.host import windows as win

    assert win.bound_drivers(0x0483, 0x3748) is None
    assert win.driver_state(None, "no-driver") == "missing" and win.driver_state(None, None) == "unknown"


def test_macos_needs_no_driver_and_names_a_holder_from_lsof(monkeypatch):
    from vescdoctor.probes.host import darwin

    monkeypatch.setattr(sys, "platform", "darwin")
    assert darwin.parse_lsof("p123\ncVESC Tool\np456\ncscreen\n") == [{"pid": 123, "program": "VESC Tool"},
                                                                     {"pid": 456, "program": "screen"}]
    monkeypatch.setattr(darwin, "port_holders", lambda port: [{"pid": 123, "program": "VESC Tool"}])
    checks = run_checks(Seen(vesc_ports=[]))
    assert _by_id(checks, "drivers")[0].status == "ok"
    port = darwin.port_checks("/dev/cu.usbmodem301")
    assert port.issues == ["port-held"] and "VESC Tool (pid 123)" in port.lines[0]


def test_linux_a_probe_pyocd_cannot_open_fails_with_the_udev_command(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    checks = run_checks(Seen(usb_probes=[dict(STLINK, open_error="access")]))
    (line,) = _by_id(checks, "probe")
    assert line.status == "fail" and "may not open" in line.detail and "--udev-rules" in line.fix


def test_a_probe_pyocd_opens_is_listed_with_its_firmware():
    seen = Seen(usb_probes=[dict(STLINK, serial="066DFF", open_error=None)],
                pyocd_probes=[{"description": "STLINK-V2", "uid": "066DFF", "firmware": "V2J45S7", "error": None}])
    (line,) = _by_id(run_checks(seen), "probe")
    assert line.status == "ok" and "V2J45S7" in line.detail


def test_no_probe_is_a_warning_not_a_failure():
    (line,) = _by_id(run_checks(Seen()), "probe")
    assert line.status == "warn" and line.fix


def test_backup_space(tmp_path, monkeypatch):
    ok = backup_space_check(tmp_path / "not" / "yet" / "made")  # the nearest existing parent is measured
    assert ok.status == "ok"
    monkeypatch.setattr(shutil, "disk_usage", lambda path: types.SimpleNamespace(free=1024 * 1024))
    low = backup_space_check(tmp_path)
    assert low.status == "fail" and "--backup-dir" in low.fix


def test_a_probe_search_that_breaks_is_a_failed_line_not_a_crash(monkeypatch, capsys):
    import vescdoctor.hostcheck as hostcheck

    def broken():
        raise OSError("libusb: LIBUSB_ERROR_IO")
    monkeypatch.setattr(hostcheck, "_pyocd_probes", broken)
    assert main(["doctor", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert any(c["status"] == "fail" and "LIBUSB_ERROR_IO" in c["detail"] for c in doc["checks"])
    assert {"python", "usb", "backup-space"} <= {c["id"] for c in doc["checks"]}


def test_pyocd_tells_the_firmware_of_a_probe_it_opens(tmp_path, monkeypatch):
    """The bench's ST-Link through pyOCD's own StlinkProbe: opened without connecting a target, its version read."""
    from vescdoctor.hostcheck import _pyocd_probes
    from vescdoctor.sim.scenario import build_board, find_scenario

    board = tmp_path / "b"
    build_board(find_scenario("healthy"), board)
    monkeypatch.setenv("VESCDOCTOR_SIM_BOARDS", str(board))  # the bench's probes are listed only when named
    (probe,) = [p for p in _pyocd_probes() if p["uid"] == str(board)]
    assert probe["error"] is None and re.fullmatch(r"V\d+J\d+[MS]\d+", probe["firmware"]), probe
    (line,) = _by_id(run_checks(Seen(pyocd_probes=[probe])), "probe")
    assert line.status == "ok" and probe["firmware"] in line.detail
