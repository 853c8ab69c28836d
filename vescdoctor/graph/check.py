"""Prove a decision graph sound before anyone walks it (DESIGN.md, "The decision graph"):

- every edge leads to a defined node, every node is reachable from the start;
- every non-verdict node has a way on for every outcome: its last edge is a default (no `if`), none after it;
- no cycle except through bounded retries (edges with `max:`);
- every fact a condition reads is established on every path that reaches it (a forward data-flow over the graph
  without its bounded retry edges);
- every probe and fix name is registered, every verdict and finding code is known, every answer code compared in a
  condition is one the question offers, and the spec's questions use the spec's codes.
Each problem names file, line and node.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..knowledge.verdicts import QUESTIONS, VERDICT_CODES
from .model import Graph, Node, Where

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Problem:
    where: Where
    node: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: node '{self.node}': {self.message}"


def to_networkx(graph: Graph, *, bounded: bool = True) -> nx.DiGraph:
    """The graph as a networkx DiGraph; without bounded retry edges when bounded=False."""
    import networkx as nx  # only to prove a graph (graph.proof_cache spares a proven one)

    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    for node in graph.nodes.values():
        for edge in node.edges:
            if edge.to in graph.nodes and (bounded or edge.max_times is None):
                g.add_edge(node.id, edge.to)
    return g


def check_graph(graph: Graph, probe_facts: dict[str, tuple[str, ...]] | None = None,
                fixes: dict[str, tuple[str, ...]] | None = None) -> list[Problem]:
    """All problems of `graph` (empty when it is sound). probe_facts: registered probe -> facts it provides;
    fixes: registered fix -> facts it provides. Defaults: the built-in registries."""
    import networkx as nx

    if probe_facts is None or fixes is None:
        from ..registries import fix_facts
        from ..registries import probe_facts as registered_probes
        probe_facts = registered_probes() if probe_facts is None else probe_facts
        fixes = fix_facts() if fixes is None else fixes
    problems: list[Problem] = []
    nodes = graph.nodes

    def add(node: Node, message: str, where: Where | None = None) -> None:
        problems.append(Problem(where or node.where, node.id, message))

    for node in nodes.values():
        for message, where in (*_edge_problems(node, nodes), *_registry_problems(node, probe_facts, fixes),
                               *_spec_problems(node)):
            add(node, message, where)

    full = to_networkx(graph)
    reachable = {graph.start} | nx.descendants(full, graph.start)
    for node_id in nodes:
        if node_id not in reachable:
            add(nodes[node_id], f"unreachable from the start node '{graph.start}'")

    forward = to_networkx(graph, bounded=False)
    try:
        cycle = nx.find_cycle(forward, source=graph.start)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        first = nodes[cycle[0][0]]
        loop = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        add(first, f"cycle without a bounded retry: {loop} (give one edge 'max: N')")
    else:
        problems.extend(_check_facts(graph, forward, reachable, probe_facts, fixes))
    problems.extend(_check_answer_literals(graph))
    problems.sort(key=lambda p: (p.where.file, p.where.line, p.node, p.message))
    return problems


NodeProblems = Iterator[tuple[str, Where | None]]  # (message, where; None: the node's own line)


def _edge_problems(node: Node, nodes: dict[str, Node]) -> NodeProblems:
    """Edges to nowhere, and a non-verdict node without a (last, unbounded) default edge."""
    for edge in node.edges:
        if edge.to not in nodes:
            yield f"edge to '{edge.to}', which is not defined", edge.where
    if node.kind == "verdict":
        return
    if not node.edges:
        yield "no 'next': a non-verdict node needs a way on", None
    elif node.edges[-1].when is not None:
        yield ("no default edge: the last edge of 'next' must have no 'if' (the way on when no condition holds)",
               node.edges[-1].where)
    elif node.edges[-1].max_times is not None:
        yield ("the default edge cannot be bounded with 'max': when it is used up there is no way on",
               node.edges[-1].where)
    for edge in node.edges[:-1]:
        if edge.when is None:
            yield (f"edge to '{edge.to}' has no 'if' but is not last: the edges after it are never taken",
                   edge.where)


def _registry_problems(node: Node, probe_facts: dict[str, tuple[str, ...]],
                       fixes: dict[str, tuple[str, ...]]) -> NodeProblems:
    """A probe or fix node naming an action nobody registered."""
    if node.kind == "probe" and node.action not in probe_facts:
        yield f"probe '{node.action}' is not registered (known: {', '.join(sorted(probe_facts)) or 'none'})", None
    if node.kind == "fix" and node.action not in fixes:
        yield f"fix '{node.action}' is not registered (known: {', '.join(sorted(fixes)) or 'none'})", None


def _spec_problems(node: Node) -> NodeProblems:
    """Verdict, finding and answer codes that spec/verdicts.md and the question table do not know."""
    if node.kind == "verdict" and node.verdict not in VERDICT_CODES:
        yield f"unknown verdict code '{node.verdict}' (see spec/verdicts.md)", None
    for rule in node.findings:
        if rule.code not in VERDICT_CODES:
            yield f"unknown finding code '{rule.code}' (see spec/verdicts.md)", rule.where
    if node.kind != "question" or node.question not in QUESTIONS:
        return
    spec_codes = QUESTIONS[node.question]
    if spec_codes is None:
        if not node.free_answer:
            yield f"question '{node.question}' takes free answers (a HW name): set free_answer: true", None
        return
    for code in node.answers:
        if code not in spec_codes:
            yield f"answer code '{code}' is not one of question '{node.question}': {', '.join(spec_codes)}", None


def load_checked_graph(path=None) -> Graph:
    """The graph at `path` (default: the built-in one), loaded and proven sound: what every walk uses (diagnose,
    fix, the TUI, replay). A graph with problems is bad input (InputError, exit 2) naming the first and the count;
    `vescdoctor rules check` lists them all. A graph proven sound before is not proven again (graph.proof_cache)."""
    from ..errors import InputError
    from ..registries import fix_facts, probe_facts
    from .loader import load_graph
    from .proof_cache import known_sound, proof_key, remember_sound

    graph = load_graph(path)
    probes, fixes = probe_facts(), fix_facts()
    key = proof_key(graph, probes, fixes)
    if known_sound(key):
        return graph
    problems = check_graph(graph, probes, fixes)
    if problems:
        more = f" (and {len(problems) - 1} more: run `vescdoctor rules check`)" if len(problems) > 1 else ""
        raise InputError(f"the decision graph is not sound: {problems[0]}{more}")
    remember_sound(key)
    return graph


def _conditions(node: Node):
    for edge in node.edges:
        if edge.when is not None:
            yield edge.when, edge.where
    for rule in node.findings:
        if rule.when is not None:
            yield rule.when, rule.where


def _check_facts(graph: Graph, forward: nx.DiGraph, reachable: set[str], probe_facts, fixes) -> list[Problem]:
    """Facts established on *every* path: intersect over predecessors, in topological order."""
    import networkx as nx

    problems = []
    established_out: dict[str, set[str]] = {}
    for node_id in nx.topological_sort(forward.subgraph(reachable)):
        node = graph.nodes[node_id]
        preds = [p for p in forward.predecessors(node_id) if p in established_out]
        incoming = set.intersection(*(established_out[p] for p in preds)) if preds else set()
        out = incoming | node.provides(probe_facts, fixes)
        established_out[node_id] = out
        for condition, where in _conditions(node):
            for code in sorted(condition.found_codes()):
                if code not in VERDICT_CODES:
                    problems.append(Problem(where, node_id, f"found('{code}'): unknown verdict code"))
            for name in sorted(condition.names() - out):
                problems.append(Problem(where, node_id,
                                        f"condition reads '{name}', which is not established on every path to "
                                        "this node (no earlier probe or question provides it)"))
    return problems


def _check_answer_literals(graph: Graph) -> list[Problem]:
    codes: dict[str, set[str]] = {}
    free: set[str] = set()
    for node in graph.nodes.values():
        if node.kind == "question" and node.question is not None:
            codes.setdefault(node.question, set()).update(node.answers)
            if node.free_answer:
                free.add(node.question)
    problems = []
    for node in graph.nodes.values():
        for condition, where in _conditions(node):
            for name, value in condition.compared_literals():
                if not name.startswith("answer."):
                    continue
                qid = name.split(".", 1)[1]
                if qid in codes and qid not in free and value not in codes[qid]:
                    known = ", ".join(sorted(codes[qid]))
                    problems.append(Problem(where, node.id, f"'{name}' is compared with {value!r}, which is not "
                                                           f"an answer of that question ({known})"))
    return problems
