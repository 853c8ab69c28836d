"""`vescdoctor replay`: the recorded answers and probe facts walk the current graph again, with no hardware."""
from __future__ import annotations

import json

import pytest

from vescdoctor.cli import main
from vescdoctor.graph.loader import load_graph
from vescdoctor.graph.session import TriageSession, run_session
from vescdoctor.probes.base import ProbeResult
from vescdoctor.registries import probe_facts
from vescdoctor.report import build_report, load_report, write_report
from vescdoctor.report.replay import replay_report

from report_support import ALICE, FORUM_GRAPH, forum_report


@pytest.fixture
def report_file(tmp_path):
    return write_report(forum_report(), tmp_path / "report.json")


def _edited_graph(tmp_path, old: str, new: str):
    text = FORUM_GRAPH.read_text()
    assert old in text
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_replay_on_the_same_graph_reaches_the_same_verdict_by_the_same_path(report_file, capsys):
    assert main(["replay", str(report_file), "--rules", str(FORUM_GRAPH)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("(same)") and out[1] == "same verdict: app-missing" and out[2] == "same path (7 steps)"


def test_replay_never_touches_hardware(report_file, monkeypatch):
    import serial
    import usb.core

    from vescdoctor import environment
    from vescdoctor.probes import base

    def refuse(*args, **kwargs):
        pytest.fail("replay reached for hardware")
    monkeypatch.setattr(base, "run_probe", refuse)
    monkeypatch.setattr(usb.core, "find", refuse)
    monkeypatch.setattr(serial.Serial, "open", refuse)
    monkeypatch.setattr(environment, "real_environment", refuse)
    monkeypatch.setattr(environment, "sim_environment", refuse)
    result = replay_report(load_report(report_file), load_graph(FORUM_GRAPH))
    assert result.same_verdict and result.first_difference is None
    assert result.replayed_findings == ["app-missing", "bootloader-missing"]


def test_edited_graph_changes_the_verdict_and_replay_says_where(report_file, tmp_path, capsys):
    # The rule change: a missing bootloader now comes first.
    edited = _edited_graph(tmp_path, '''      - {if: found("app-missing"), to: v-app-missing}
      - {if: found("bootloader-missing"), to: v-bootloader-missing}''',
                           '''      - {if: found("bootloader-missing"), to: v-bootloader-missing}
      - {if: found("app-missing"), to: v-app-missing}''')
    assert main(["replay", str(report_file), "--rules", str(edited), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["same_verdict"] is False
    assert (result["recorded_verdict"], result["replayed_verdict"]) == ("app-missing", "bootloader-missing")
    assert result["first_difference"]["index"] == 6
    assert result["first_difference"]["recorded"]["node"] == "v-app-missing"
    assert result["first_difference"]["replayed"]["node"] == "v-bootloader-missing"
    assert result["graph"]["same"] is False


def test_edited_graph_with_the_same_verdict_by_another_path(report_file, tmp_path, capsys):
    edited = _edited_graph(tmp_path, "    next: conclude\n  conclude:",
                           "    next: recheck\n  recheck:\n    kind: decision\n    next: conclude\n  conclude:")
    assert main(["replay", str(report_file), "--rules", str(edited)]) == 0
    out = capsys.readouterr().out
    assert "same verdict: app-missing" in out
    assert "path differs at step 6: recorded conclude (decision), now recheck (decision)" in out


def test_a_new_question_the_report_never_answered_stops_the_replay(report_file, tmp_path, capsys):
    edited = _edited_graph(tmp_path, "    next: usb\n  usb:",
                           "    next: cable\n  cable:\n    kind: question\n    text: Which cable?\n"
                           "    answers: {data: Data., charge: Charge only.}\n    next: usb\n  usb:")
    assert main(["replay", str(report_file), "--rules", str(edited)]) == 1
    out = capsys.readouterr().out
    assert "replay stopped: the graph asks question 'cable' (node cable), which the report has no answer for" in out
    assert "path differs at step 3: recorded usb (probe) -> ok, now nothing (the path ended)" in out


def test_a_probe_the_recorded_run_never_ran_stops_the_replay(report_file, tmp_path, capsys):
    # vesc.query is registered (the graph is sound) but the recorded run never ran it
    edited = _edited_graph(tmp_path, "      - {if: swd.connected, to: flash}",
                           "      - {if: swd.connected, to: ask-vesc}")
    edited.write_text(edited.read_text() + "  ask-vesc:\n    kind: probe\n    probe: vesc.query\n    next: flash\n")
    assert main(["replay", str(report_file), "--rules", str(edited), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert "probe 'vesc.query'" in result["stopped"] and result["replayed_verdict"] is None


def test_replay_refuses_a_graph_that_rules_check_refuses(report_file, tmp_path, capsys):
    """A graph is proven sound before any walk: an unregistered probe (or a cycle, a dangling edge ...) is exit 2
    with the first problem named, as `rules check` would."""
    edited = _edited_graph(tmp_path, "    probe: flash.map", "    probe: flash.map2")
    assert main(["replay", str(report_file), "--rules", str(edited)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not sound" in err[0] and "probe 'flash.map2' is not registered" in err[0], err


def test_an_answer_the_graph_no_longer_accepts_stops_the_replay(tmp_path, capsys):
    # A code of the spec's `led` question that this (edited) graph does not offer: the replay stops there.
    # (A code outside the spec, e.g. "purple", is refused when the report is loaded: exit 2, tests/test_input_edges.)
    report = forum_report()
    report["answers"]["led"] = "red-blink"
    path = write_report(report, tmp_path / "r.json")
    assert main(["replay", str(path), "--rules", str(FORUM_GRAPH)]) == 1
    assert "'red-blink' is not an answer to question 'led'" in capsys.readouterr().out


def test_replay_with_a_broken_graph_is_exit_2(report_file, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("graph: x\nstart: a\nnodes: {a: {kind: nonsense}}\n")
    assert main(["replay", str(report_file), "--rules", str(broken)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_replay_on_the_shipped_graph_with_canned_probe_facts(tmp_path):
    """The built-in graph, walked once with every probe fact unknown (None), replays to the same verdict."""
    provides = probe_facts()
    graph = load_graph()
    session = TriageSession(graph, answers={"led": "blue-only"})
    result = run_session(session, ask=lambda node: "unsure" if "unsure" in node.answers or node.free_answer
                         else next(iter(node.answers)),
                         run_probe=lambda node: ProbeResult({f: None for f in provides[node.action]},
                                                            [f"canned {node.action}"]))
    path = write_report(build_report(result, identity=ALICE), tmp_path / "r.json")
    replayed = replay_report(load_report(path), graph)
    assert replayed.same_verdict and replayed.first_difference is None and replayed.same_graph
    assert replayed.replayed_verdict == result.verdict.code
