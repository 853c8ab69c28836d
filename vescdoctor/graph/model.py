"""Typed nodes and edges of the decision graph. Built by graph.loader, checked by graph.check, walked by
graph.session. Every element remembers its file and line so that each error can name them."""
from __future__ import annotations

from dataclasses import dataclass, field

from .conditions import Condition

NODE_KINDS = ("question", "probe", "decision", "fix", "verdict")


@dataclass(frozen=True)
class Where:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Edge:
    to: str
    when: Condition | None  # None: the default edge, taken when nothing before it matched
    max_times: int | None  # a bounded retry: how often this edge may be taken in one walk
    where: Where
    label: str | None = None  # shown in drawings and transcripts


@dataclass
class FindingRule:
    code: str
    when: Condition | None  # None: always, once the node is passed
    where: Where


@dataclass
class Node:
    id: str
    kind: str
    where: Where
    title: str = ""
    text: str = ""  # what the user reads: the question, the probe's purpose, the verdict's explanation
    edges: list[Edge] = field(default_factory=list)
    findings: list[FindingRule] = field(default_factory=list)
    # question
    question: str | None = None
    answers: dict[str, str] = field(default_factory=dict)  # code -> what the answer tells
    free_answer: bool = False  # any answer accepted (e.g. a HW name)
    # probe / fix
    action: str | None = None  # the registered probe or fix name
    destructive: bool = False
    # verdict
    verdict: str | None = None
    next_steps: list[str] = field(default_factory=list)

    def provides(self, probe_facts: dict[str, tuple[str, ...]], fix_facts: dict[str, tuple[str, ...]]) -> set[str]:
        """The facts this node establishes for the nodes after it."""
        if self.kind == "question":
            return {f"answer.{self.question}"}
        if self.kind == "probe":
            return set(probe_facts.get(self.action or "", ()))
        if self.kind == "fix":
            return set(fix_facts.get(self.action or "", ())) | {f"fix.{self.id}"}
        return set()


@dataclass
class Graph:
    id: str
    version: str
    start: str
    nodes: dict[str, Node]
    files: list[str]
    digest: str  # sha256 of the source texts: lets a report say which graph it was made with

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]
