"""Debug-probe situations a rider meets on real hardware: a probe that is on USB but cannot be opened, and several
probes with none named."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vescdoctor.graph.loader import load_graph
from vescdoctor.graph.session import TriageSession, run_session
from vescdoctor.probes.base import ProbeResult
from vescdoctor.registries import probe_facts


def test_probe_on_usb_that_cannot_be_opened_gets_its_own_explanation():
    provides = probe_facts()
    seen = {
        "usb.scan": {"usb.debug_probe_present": True, "usb.vesc_present": False, "usb.dfu_present": False},
        "vesc.query": {"vesc.answered": False},
        "swd.connect": {"swd.probe_found": False, "swd.connected": False},
    }

    def run_probe(node):
        facts = dict.fromkeys(provides[node.action])
        facts.update(seen[node.action])
        return ProbeResult(facts, [])

    result = run_session(TriageSession(load_graph(), {"symptom": "no-usb", "led": "blue-only"}),
                         run_probe=run_probe, ask=lambda node: "unsure")
    assert result.verdict.code == "no-probe"
    assert result.verdict.node == "v-probe-unusable"
    assert "udev" in " ".join(result.verdict.next_steps)


@pytest.mark.slow
def test_several_probes_and_none_named_is_refused_with_the_list(tmp_path):
    boards = []
    for name in ("a", "b"):
        board = tmp_path / name
        run = subprocess.run([sys.executable, "-m", "vescdoctor", "sim", "create", "healthy", str(board)],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        boards.append(str(board))
    env = dict(os.environ, VESCDOCTOR_SIM_BOARDS=os.pathsep.join(boards))
    # No --sim: the real-hardware path, where pyOCD's plugin shows both simulated probes.
    run = subprocess.run([sys.executable, "-m", "vescdoctor", "diagnose", "--answer", "led=green"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert "2 debug probes connected" in last and "--probe" in last and "Traceback" not in run.stderr
