"""The decision-graph engine: loading with FILE:LINE errors, the checker's proofs, and the walk."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vescdoctor.errors import InputError
from vescdoctor.graph.check import check_graph
from vescdoctor.graph.conditions import ConditionError, evaluate, parse
from vescdoctor.graph.loader import load_graph
from vescdoctor.graph.session import Ask, Done, RunProbe, TriageSession, run_session
from vescdoctor.probes.base import ProbeResult

from testdata import GRAPHS_DIR

SMALL = GRAPHS_DIR / "small.yaml"
PROBES = {"test.look": ("look.seen", "look.broken", "look.old_bootloader")}


def load_small_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SMALL.read_text()
    assert old in text, old
    out = tmp_path / "graph.yaml"
    out.write_text(text.replace(old, new))
    return out


def problems_of(path: Path) -> list[str]:
    return [str(p) for p in check_graph(load_graph(path), PROBES, {})]


def test_small_graph_is_sound():
    assert problems_of(SMALL) == []


@pytest.mark.parametrize("old,new,expected", [
    ("to: v-healthy\n  look:", "to: v-nowhere\n  look:", "edge to 'v-nowhere', which is not defined"),
    ("verdict: no-probe", "verdict: no-such-verdict", "unknown verdict code 'no-such-verdict'"),
    ("probe: test.look", "probe: test.unknown", "probe 'test.unknown' is not registered"),
    ("- {if: found(\"app-missing\"), to: v-app-missing}",
     "- {if: found(\"app-missing\") and answer.again == \"yes\", to: v-app-missing}",
     "condition reads 'answer.again', which is not established on every path"),
    ("- {if: look.broken, add: app-missing}", "- {if: swd.rdp_level == 1, add: app-missing}",
     "condition reads 'swd.rdp_level'"),
    ("      - to: conclude", "      - {if: look.seen, to: conclude}", "no default edge"),
    ("to: look, max: 2}", "to: look}", "cycle without a bounded retry"),
    ("answer.symptom == \"no-usb\"", "answer.symptom == \"no-ubs\"", "not an answer of that question"),
])
def test_checker_finds_each_problem_with_file_line_and_node(tmp_path, old, new, expected):
    path = load_small_variant(tmp_path, old, new)
    problems = problems_of(path)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(f"{path}:") and "node '" in p for p in problems), problems


def test_unreachable_node(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(SMALL.read_text() + "  orphan:\n    kind: verdict\n    verdict: healthy\n    text: Never.\n")
    problems = problems_of(path)
    assert any("node 'orphan': unreachable" in p for p in problems), problems
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.strip() == "orphan:")
    assert any(p.startswith(f"{path}:{line}:") for p in problems)


@pytest.mark.parametrize("old,new,expected", [
    ("kind: decision", "kind: choice", "node 'conclude': unknown node kind 'choice'"),
    ("    kind: probe\n", "    kind: probe\n    colour: red\n", "node 'look': unknown key 'colour'"),
    ("next_steps: [Flash the firmware.]", "next_steps: Flash the firmware.", "'next_steps' must be a list"),
    ("if: look.broken,", "if: look.broken ==,", "condition 'look.broken =='"),
    ("text: All good.", "text: [All good.", "YAML"),
    ("version: 1", "version: !!python/object/apply:os.system [echo]", "YAML"),
])
def test_loader_errors_are_one_line_with_file_and_line(tmp_path, old, new, expected):
    path = load_small_variant(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_graph(path)
    message = str(info.value)
    assert expected in message and message.startswith(f"{path}:") and "\n" not in message


def test_rules_check_cli_exit_codes(tmp_path):
    bad = load_small_variant(tmp_path, "verdict: no-probe", "verdict: nope")
    run = subprocess.run([sys.executable, "-m", "vescdoctor", "rules", "check", str(bad)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert f"{bad}:" in run.stderr and "node 'v-no-probe'" in run.stderr and "Traceback" not in run.stderr
    syntax = load_small_variant(tmp_path, "text: All good.", "text: [All good.")
    run = subprocess.run([sys.executable, "-m", "vescdoctor", "rules", "check", str(syntax)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def walk(answers: dict, looks: list[dict], given: dict | None = None):
    graph = load_graph(SMALL)
    session = TriageSession(graph, given)
    seen = iter(looks)

    def run_probe(node):
        return ProbeResult(facts=next(seen), transcript=[f"{node.action} ran"])

    return run_session(session, run_probe=run_probe, ask=lambda node: answers[node.question])


def test_walk_to_a_verdict_with_findings_in_precedence_order():
    result = walk({"symptom": "no-usb"}, [{"look.seen": True, "look.broken": True, "look.old_bootloader": True}])
    assert result.verdict.code == "app-missing"
    assert result.findings == ["app-missing", "bootloader-too-old"]
    assert [s.node for s in result.path] == ["symptom", "look", "conclude", "v-app-missing"]
    assert result.probe_runs[0].transcript == ["test.look ran"]


def test_walk_default_edge():
    result = walk({"symptom": "other"}, [])
    assert result.verdict.code == "healthy" and result.findings == ["healthy"]


def test_walk_bounded_retry_then_gives_up():
    nothing = {"look.seen": False, "look.broken": False, "look.old_bootloader": False}
    result = walk({"symptom": "no-usb", "again": "yes"}, [nothing] * 3)
    assert result.verdict.code == "no-probe"
    assert [s.node for s in result.path].count("look") == 3  # first look + 2 bounded retries


def test_walk_retry_succeeds():
    nothing = {"look.seen": False, "look.broken": False, "look.old_bootloader": False}
    fine = {"look.seen": True, "look.broken": False, "look.old_bootloader": False}
    result = walk({"symptom": "no-usb", "again": "yes"}, [nothing, fine])
    assert result.verdict.code == "healthy"


def test_given_answers_are_used_without_asking():
    graph = load_graph(SMALL)
    session = TriageSession(graph, {"symptom": "other"})
    action = session.next_action()
    assert isinstance(action, Done) and session.verdict.code == "healthy"
    assert session.path[0].outcome == "other (given)"


def test_step_api_and_bad_answer():
    session = TriageSession(load_graph(SMALL))
    action = session.next_action()
    assert isinstance(action, Ask) and action.node.id == "symptom"
    with pytest.raises(InputError, match="not an answer"):
        session.answer("no-such-code")
    session.answer("no-usb")
    assert isinstance(session.next_action(), RunProbe)


def test_conditions_never_raise_on_data():
    cond = parse('a.b < 3 or a.c in ["x"] or count(a.d) > 1')
    for value in (None, "text", 5, [1, 2], {"k": 1}, True, 2.5):
        evaluate(cond, {"a.b": value, "a.c": value, "a.d": value}, [])
    with pytest.raises(ConditionError):
        parse("__import__('os')")


@pytest.mark.slow
def test_core_imports_without_textual():
    code = ("import sys, importlib, pkgutil, vescdoctor\n"
            "sys.modules['textual'] = None\n"
            "for m in pkgutil.walk_packages(vescdoctor.__path__, 'vescdoctor.'):\n"
            "    if m.name.startswith('vescdoctor.tui') or m.name == 'vescdoctor.commands.tui': continue\n"
            "    if m.name == 'vescdoctor.__main__': continue\n"
            "    importlib.import_module(m.name)\n"
            "print('ok')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
