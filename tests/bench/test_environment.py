"""The Environment seam: one protocol for the real machine and the bench, the SWD link it owns, and the rule that
only the seam imports the simulator."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vescdoctor
from vescdoctor.diagnosis import run_diagnosis
from vescdoctor.environment import Environment, HostEnvironment, sim_environment
from vescdoctor.graph.check import load_checked_graph

from board_support import make

PACKAGE = Path(vescdoctor.__file__).parent
# The seam (environment.py) and the bench's own commands (`sim create`, `demo`) may import the simulator.
MAY_IMPORT_SIM = {"environment.py", "commands/sim.py", "commands/tui.py"}


def test_both_environments_keep_the_protocol(tmp_path):
    assert isinstance(HostEnvironment(), Environment)
    with sim_environment(make(tmp_path, "healthy")) as env:
        assert isinstance(env, Environment) and env.is_sim
        assert env.owner_answer("hw") == "410" and env.owner_answer("no-such-question") is None
        assert env.chip_seconds() is not None
    host = HostEnvironment()
    assert host.owner_answer("hw") is None and host.chip_seconds() is None


@pytest.mark.slow
def test_each_connect_reports_only_its_own_attempts(tmp_path):
    """The link lives as long as the environment, but a second diagnosis reports what its own connect tried, once."""
    graph = load_checked_graph()
    with sim_environment(make(tmp_path, "healthy")) as env:
        env.swd.connect()
        env.swd.connect()
        assert [a.mode for a in env.swd.attempts] == ["attach"]
        lines: list[str] = []
        for _ in range(2):
            lines.clear()
            diagnosis = run_diagnosis(env, graph, emit=lines.append)
            assert diagnosis.verdict == "healthy"
            assert lines.count("SWD: connect (attach): answered") == 1, lines
            assert len(diagnosis.result.facts["swd.attempts"]) == 1


def test_only_the_seam_imports_the_simulator():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("sim/") or rel in MAY_IMPORT_SIM:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.split(".")[:2] == ["vescdoctor", "sim"]
                   or n.startswith(".") and n.lstrip(".").split(".")[0] == "sim"
                   for n in names):
                offenders.append(rel)
    assert not offenders, offenders
