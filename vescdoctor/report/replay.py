"""Replay: walk a graph again with what a report recorded, without hardware, and compare.

The recorded answers are given to the session up front; each probe the walk reaches gets the next recorded run of
that probe (by probe name, in order), facts and all; a fix node gets the outcome recorded for it (a diagnosis never
ran one: "declined"). Nothing runs, nothing is opened. When the graph now needs something the report never
recorded (a new question, a probe that never ran), the walk stops there and says so.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from ..graph.model import Graph
from ..graph.session import TriageSession, WalkError, run_session
from ..probes.base import ProbeResult
from .text import clean

_GIVEN = " (given)"


@dataclass
class Difference:
    index: int  # 0-based position in the path
    recorded: dict | None  # the recorded step there (None: the recorded path ended first)
    replayed: dict | None  # the replayed step there (None: the replay ended or stopped first)

    def describe(self) -> str:
        def step(s: dict | None) -> str:
            if s is None:
                return "nothing (the path ended)"
            return f"{s['node']} ({s['kind']})" + (f" -> {s['outcome']}" if s.get("outcome") else "")
        return f"step {self.index + 1}: recorded {step(self.recorded)}, now {step(self.replayed)}"


@dataclass
class ReplayResult:
    recorded_verdict: str | None
    replayed_verdict: str | None
    replayed_path: list[dict]
    replayed_findings: list[str]
    first_difference: Difference | None
    stopped: str | None  # why the walk could not go on, when it could not
    graph_recorded: dict
    graph_current: dict = field(default_factory=dict)

    @property
    def same_verdict(self) -> bool:
        return self.stopped is None and self.recorded_verdict == self.replayed_verdict

    @property
    def same_graph(self) -> bool:
        return bool(self.graph_recorded.get("digest")) and \
            self.graph_recorded.get("digest") == self.graph_current.get("digest")

    def to_json(self) -> dict[str, Any]:
        diff = self.first_difference
        return {
            "same_verdict": self.same_verdict,
            "recorded_verdict": self.recorded_verdict,
            "replayed_verdict": self.replayed_verdict,
            "first_difference": None if diff is None else {
                "index": diff.index, "recorded": diff.recorded, "replayed": diff.replayed},
            "stopped": self.stopped,
            "replayed_path": self.replayed_path,
            "replayed_findings": self.replayed_findings,
            "graph": {"recorded": self.graph_recorded, "current": self.graph_current, "same": self.same_graph},
        }

    def summary_lines(self) -> list[str]:
        same = "same" if self.same_graph else "changed"
        out = [f"graph: recorded {_graph_name(self.graph_recorded)}, current {_graph_name(self.graph_current)} "
               f"({same})"]
        if self.same_verdict:
            out.append(f"same verdict: {self.replayed_verdict}")
        else:
            out.append(f"different verdict: recorded {self.recorded_verdict or 'none'}, "
                       f"now {self.replayed_verdict or 'none'}")
        if self.stopped:
            out.append(f"replay stopped: {self.stopped}")
        if self.first_difference is not None:
            out.append(f"path differs at {self.first_difference.describe()}")
        else:
            out.append(f"same path ({len(self.replayed_path)} steps)")
        return [clean(line, single_line=True) for line in out]  # node names and answers come from the file


class _Stop(Exception):
    """The recorded run cannot answer what the graph needs now: the replay stops there (the message says why)."""


def _graph_name(g: dict) -> str:
    digest = (g.get("digest") or "")[-64:][:12]
    return f"{g.get('id') or '?'} v{g.get('version') if g.get('version') is not None else '?'}" + \
        (f" [{digest}]" if digest else "")


def _step_key(step: dict) -> tuple:
    """What must match for two steps to be the same: node, kind and outcome (asked or given alike)."""
    outcome = step.get("outcome")
    if isinstance(outcome, str) and outcome.endswith(_GIVEN):
        outcome = outcome[: -len(_GIVEN)]
    return step["node"], step["kind"], outcome


def replay_report(report: dict, graph: Graph) -> ReplayResult:
    """Walk `graph` with the answers, probe runs and fix outcomes of `report` (as load_report returns it)."""
    runs: dict[str, deque] = defaultdict(deque)
    for run in report["probes"]:
        runs[run["name"]].append(run)
    fix_outcomes: dict[str, deque] = defaultdict(deque)
    for step in report["path"]:
        if step["kind"] == "fix" and step.get("outcome"):
            fix_outcomes[step["node"]].append(step["outcome"])

    def ask(node: Any) -> str:
        raise _Stop(f"the graph asks question '{node.question}' (node {node.id}), which the report has no answer "
                    "for")

    def run_probe(node: Any) -> ProbeResult:
        probe = node.action or ""  # the loader gives every probe node its action
        if not runs[probe]:
            raise _Stop(f"the graph runs probe '{node.action}' (node {node.id}) more often than the recorded run "
                        "did: no facts for it")
        run = runs[probe].popleft()
        return ProbeResult(dict(run["facts"]), list(run["transcript"]), run["ok"], run.get("error"))

    def run_fix(node: Any) -> tuple[str, None]:
        recorded = fix_outcomes[node.id]
        return (recorded.popleft() if recorded else "declined"), None

    session = TriageSession(graph, answers=report["answers"])
    stopped = None
    try:
        run_session(session, run_probe=run_probe, ask=ask, run_fix=run_fix)
    except (_Stop, WalkError) as exc:
        stopped = str(exc)
    except Exception as exc:  # an answer the graph no longer accepts (InputError), a fact of a new type ...
        stopped = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"

    result = session.result()
    replayed_path = [_plain_step(s.to_json()) for s in result.path]
    return ReplayResult(
        recorded_verdict=(report["verdict"] or {}).get("code"),
        replayed_verdict=result.verdict.code if result.verdict else None,
        replayed_path=replayed_path,
        replayed_findings=list(result.findings),
        first_difference=_first_difference(report["path"], replayed_path),
        stopped=stopped,
        graph_recorded=dict(report["graph"]),
        graph_current={"id": graph.id, "version": graph.version, "digest": f"sha256:{graph.digest}"},
    )


def _plain_step(step: dict) -> dict:
    return {"node": step["node"], "kind": step["kind"], "outcome": step.get("outcome")}


def _first_difference(recorded: list[dict], replayed: list[dict]) -> Difference | None:
    for i in range(max(len(recorded), len(replayed))):
        a = recorded[i] if i < len(recorded) else None
        b = replayed[i] if i < len(replayed) else None
        if a is None or b is None or _step_key(a) != _step_key(b):
            return Difference(i, _plain_step(a) if a else None, b)
    return None
