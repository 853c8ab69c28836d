"""The walk: a triage session that steps through the graph. Pure logic, deterministic, no I/O of its own.

The session never runs a probe or asks anyone: it says what it needs next (`next_action()`), and whoever drives it
(the CLI, the TUI, replay) does that and feeds the outcome back (`answer`, `probe_done`, `fix_done`). Decision nodes
are passed on its own. `run_session` is the simple driver for callers that have functions for each need.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..knowledge.verdicts import PRECEDENCE, TITLES
from .conditions import evaluate
from .model import Graph, Node

FACT_REF = re.compile(r"\{([a-z_]+\.[a-z_0-9]+)\}")

MAX_STEPS = 500  # far beyond any sound graph; a guard against a walk that would never end


class WalkError(RuntimeError):
    """The graph gave no way on (only possible with an unchecked graph)."""


@dataclass
class Ask:
    node: Node


@dataclass
class RunProbe:
    node: Node


@dataclass
class RunFix:
    node: Node


@dataclass
class Done:
    node: Node


@dataclass
class PathStep:
    node: str
    kind: str
    outcome: str | None = None  # the answer, "ok"/"failed" for a probe, the fix outcome, the verdict code
    to: str | None = None  # the node the walk went on to
    findings: list[str] = field(default_factory=list)  # findings this node added

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node, "kind": self.kind}
        if self.outcome is not None:
            out["outcome"] = self.outcome
        if self.to is not None:
            out["to"] = self.to
        if self.findings:
            out["findings"] = list(self.findings)
        return out


@dataclass
class ProbeRun:
    node: str
    probe: str
    facts: dict[str, Any]
    transcript: list[str]
    ok: bool
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "probe": self.probe, "ok": self.ok, "error": self.error,
                "facts": dict(self.facts), "transcript": list(self.transcript)}


@dataclass
class Verdict:
    code: str
    title: str
    explanation: str
    next_steps: list[str]
    node: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "explanation": self.explanation,
                "next_steps": list(self.next_steps), "node": self.node}


@dataclass
class SessionResult:
    graph_id: str
    graph_version: str
    graph_digest: str
    path: list[PathStep]
    facts: dict[str, Any]
    answers: dict[str, str]
    findings: list[str]
    verdict: Verdict | None
    probe_runs: list[ProbeRun]


class TriageSession:
    def __init__(self, graph: Graph, answers: Mapping[str, str] | None = None):
        self.graph = graph
        self.given = dict(answers or {})  # answers known before the walk (--answer, a report being replayed)
        self.answers: dict[str, str] = {}
        self.facts: dict[str, Any] = {}
        self.findings: list[str] = []
        self.path: list[PathStep] = []
        self.probe_runs: list[ProbeRun] = []
        self.verdict: Verdict | None = None
        self._edge_counts: dict[tuple[str, int], int] = {}
        self._current = graph.start

    # -- what the driver asks -------------------------------------------------------------------------------
    @property
    def current(self) -> Node:
        return self.graph.nodes[self._current]

    @property
    def finished(self) -> bool:
        return self.verdict is not None

    def next_action(self) -> Ask | RunProbe | RunFix | Done:
        """Advance through decisions (and questions answered in advance) to the next thing the driver must do."""
        for _ in range(MAX_STEPS):
            node = self.current
            if self.verdict is not None:
                return Done(node)
            if node.kind == "decision":
                self._leave(node, outcome=None)
            elif node.kind == "question" and node.question in self.given:
                self._record_answer(node, self.given[node.question], given=True)
            elif node.kind == "question":
                return Ask(node)
            elif node.kind == "probe":
                return RunProbe(node)
            elif node.kind == "fix":
                return RunFix(node)
            elif node.kind == "verdict":
                self._conclude(node)
                return Done(node)
        raise WalkError(f"no verdict after {MAX_STEPS} steps (is the graph checked?)")

    # -- what the driver answers ----------------------------------------------------------------------------
    def answer(self, code: str) -> None:
        node = self._expect("question")
        self._record_answer(node, code, given=False)

    def probe_done(self, result: Any) -> None:
        """Record a probe's result (an object with facts, transcript, ok, error) and move on."""
        node = self._expect("probe")
        self.facts.update(result.facts)
        self.probe_runs.append(ProbeRun(node.id, node.action or "", dict(result.facts), list(result.transcript),
                                        bool(result.ok), result.error))
        self._leave(node, outcome="ok" if result.ok else "failed")

    def fix_done(self, outcome: str, facts: Mapping[str, Any] | None = None) -> None:
        """Record a fix node's outcome ("done", "declined", "failed") and move on."""
        node = self._expect("fix")
        self.facts.update(facts or {})
        self.facts[f"fix.{node.id}"] = outcome
        self._leave(node, outcome=outcome)

    def result(self) -> SessionResult:
        return SessionResult(self.graph.id, self.graph.version, self.graph.digest, list(self.path),
                             dict(self.facts), dict(self.answers), self.ordered_findings(), self.verdict,
                             list(self.probe_runs))

    def ordered_findings(self) -> list[str]:
        """Findings in the spec's precedence order (unknown codes last, in the order found)."""
        known = [c for c in PRECEDENCE if c in self.findings]
        return known + [c for c in self.findings if c not in PRECEDENCE]

    # -- inside ---------------------------------------------------------------------------------------------
    def _expect(self, kind: str) -> Node:
        node = self.current
        if node.kind != kind or self.verdict is not None:
            raise RuntimeError(f"the session is at {node.kind} node '{node.id}', not at a {kind}")
        return node

    def _record_answer(self, node: Node, code: str, *, given: bool) -> None:
        code = str(code).strip()
        if not node.free_answer and code not in node.answers:
            raise InputError(f"'{code}' is not an answer to question '{node.question}' "
                             f"(expected one of: {', '.join(node.answers)})")
        if node.free_answer and not code:
            raise InputError(f"question '{node.question}' needs an answer")
        question = node.question or ""  # the loader gives every question node its question
        self.answers[question] = code
        self.facts[f"answer.{question}"] = code
        self._leave(node, outcome=code if not given else f"{code} (given)")

    def _leave(self, node: Node, outcome: str | None) -> None:
        added = []
        for rule in node.findings:
            if (rule.when is None or evaluate(rule.when, self.facts, self.findings)) and rule.code not in self.findings:
                self.findings.append(rule.code)
                added.append(rule.code)
        for index, edge in enumerate(node.edges):
            key = (node.id, index)
            if edge.max_times is not None and self._edge_counts.get(key, 0) >= edge.max_times:
                continue
            if edge.when is None or evaluate(edge.when, self.facts, self.findings):
                self._edge_counts[key] = self._edge_counts.get(key, 0) + 1
                self.path.append(PathStep(node.id, node.kind, outcome, edge.to, added))
                self._current = edge.to
                return
        raise WalkError(f"node '{node.id}' ({node.where}) has no edge to take")

    def _conclude(self, node: Node) -> None:
        code = node.verdict or ""
        if code not in self.findings:
            self.findings.append(code)
        self.path.append(PathStep(node.id, node.kind, code))
        fill = self._fill
        self.verdict = Verdict(code, fill(node.title or TITLES.get(code, code)), fill(node.text),
                               [fill(step) for step in node.next_steps], node.id)

    def _fill(self, text: str) -> str:
        """A verdict's words with `{fact.name}` replaced by what was seen (e.g. the fault a VESC reports)."""
        return FACT_REF.sub(lambda m: str(self.facts.get(m.group(1), m.group(0))), text)


def next_need(session: TriageSession, *, known: Callable[[Node], str | None] | None = None,
              run_fix: Callable[[Node], tuple[str, Mapping[str, Any] | None]] | None = None) -> Ask | RunProbe | Done:
    """Step `session` past everything that needs nobody: fix nodes (run_fix, else 'declined': a walk never applies
    a fix without consent) and questions `known` answers (None: it does not). Returns what needs someone: a question
    to ask, a probe to run, or Done. The one loop every driver (CLI, TUI, replay) walks with."""
    while True:
        action = session.next_action()
        if isinstance(action, RunFix):
            outcome, facts = run_fix(action.node) if run_fix else ("declined", None)
            session.fix_done(outcome, facts)
            continue
        if isinstance(action, Ask) and known is not None:
            code = known(action.node)
            if code is not None:
                session.answer(code)
                continue
        return action


def run_session(session: TriageSession, *, run_probe: Callable[[Node], Any], ask: Callable[[Node], str],
                run_fix: Callable[[Node], tuple[str, Mapping[str, Any] | None]] | None = None) -> SessionResult:
    """Drive a session to its verdict with one function per need. Fix nodes without run_fix are 'declined'."""
    while True:
        need = next_need(session, run_fix=run_fix)
        if isinstance(need, Done):
            return session.result()
        if isinstance(need, Ask):
            session.answer(ask(need.node))
        else:
            session.probe_done(run_probe(need.node))
