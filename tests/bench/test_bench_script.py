"""bench/run.py --quick: runs end to end on small generated images, with an ST-Link/V2 and a CMSIS-DAP, and ends with
the `ratio NAME VALUE` lines and the `figure NAME VALUE` lines."""
from __future__ import annotations

import math
import subprocess
import sys

import pytest

from testdata import ROOT

NAMES = ["recovery_vs_pyocd_cli", "recovery_vs_floor", "chip_time_vs_floor", "chip_time_vs_full_erase",
         "help_vs_pyocd", "recovery_vs_pyocd_cli_cmsis_dap", "recovery_vs_floor_cmsis_dap"]
FIGURES = ["fix_modelled_s", "fix_modelled_s_cmsis_dap", "fix_bytes_read", "diagnose_healthy_modelled_s"]


@pytest.mark.slow
def test_bench_quick_prints_table_and_ratios(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--help-runs", "1",
                           "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("| measure")
    assert any("diagnosis: probe USB transfers" in line for line in lines)
    assert any("generated" in line for line in lines)  # --quick never uses the real images
    tail = lines[-len(NAMES) - len(FIGURES):]
    assert [line.split()[1] for line in tail] == NAMES + FIGURES
    for line, word in zip(tail, ["ratio"] * len(NAMES) + ["figure"] * len(FIGURES)):
        first, name, value = line.split(" ")
        assert first == word
        assert math.isfinite(float(value)) and float(value) > 0, line
    assert sum(1 for line in lines if line.startswith("ratio ")) == len(NAMES)
    # each probe model ran both recoveries; vescdoctor asked each probe's fastest clock
    assert any(line.startswith("| [CMSIS-DAP] vescdoctor fix: report bench block") and line.rstrip(" |").endswith(
        " / 4000") for line in lines)
    assert any(line.startswith("| [ST-Link/V2] vescdoctor fix: report bench block") and line.rstrip(" |").endswith(
        " / 4600") for line in lines)
