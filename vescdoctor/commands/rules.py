"""`vescdoctor rules check [PATH]` and `vescdoctor rules show [PATH] [--format mermaid|dot]`."""
from __future__ import annotations

import sys

from ..errors import InputError
from ..graph.check import check_graph
from ..graph.draw import to_dot, to_mermaid
from ..graph.loader import load_graph


def run(args) -> int:
    graph = load_graph(args.path)
    if args.rules_command == "show":
        sys.stdout.write(to_mermaid(graph) if args.format == "mermaid" else to_dot(graph))
        return 0
    problems = check_graph(graph)
    for problem in problems:
        print(f"vescdoctor: {problem}", file=sys.stderr)
    if problems:
        raise InputError(f"{len(problems)} problem(s) in graph '{graph.id}'")
    kinds: dict[str, int] = {}
    for node in graph.nodes.values():
        kinds[node.kind] = kinds.get(node.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"graph '{graph.id}' version {graph.version}: {len(graph.nodes)} nodes ({summary}); all checks pass")
    return 0
