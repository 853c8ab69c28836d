"""bench/run.py --quick: runs end to end on small generated images and ends with the four `ratio NAME VALUE` lines."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest

from testdata import ROOT

NAMES = ["recovery_vs_pyocd_cli", "chip_time_vs_floor", "chip_time_vs_full_erase", "help_vs_pyocd"]


@pytest.mark.slow
def test_bench_quick_prints_table_and_ratios(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--help-runs", "1",
                           "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("| measure")
    assert any("diagnosis: probe USB transfers" in line for line in lines)
    assert any("generated" in line for line in lines)  # --quick never uses the real images
    tail = lines[-len(NAMES):]
    assert [line.split()[1] for line in tail] == NAMES
    for line in tail:
        word, name, value = line.split(" ")
        assert word == "ratio"
        assert math.isfinite(float(value)) and float(value) > 0, line
    assert sum(1 for line in lines if line.startswith("ratio ")) == len(NAMES)
