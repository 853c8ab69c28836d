"""The package as a user installs it: rules/ and the built-in scenarios inside the wheel; a fast --help."""
from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from testdata import ROOT


@pytest.mark.slow
def test_wheel_ships_rules_and_scenarios(tmp_path):
    pytest.importorskip("hatchling")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    wheel = next(tmp_path.glob("vescdoctor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "vescdoctor/rules/triage.yaml" in names
    assert any(n.startswith("vescdoctor/sim/scenarios/") and n.endswith(".yaml") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "vescdoctor = vescdoctor.cli:main" in text and "vescsim = vescdoctor.sim.pyocd_plugin" in text


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["diagnose", "--help"], ["fix", "--help"]])
def test_help_imports_no_heavy_library(argv):
    code = ("import sys\nfrom vescdoctor.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pyocd', 'textual', 'unicorn', 'usb', 'serial') if m in sys.modules]\n"
            "print('HEAVY=' + ','.join(heavy))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "HEAVY=", run.stdout.strip().splitlines()[-1]


def test_rules_check_passes_on_the_shipped_graph():
    run = subprocess.run([sys.executable, "-m", "vescdoctor", "rules", "check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "all checks pass" in run.stdout
