"""`vescdoctor rules check [PATH]` and `vescdoctor rules show [PATH] [--format mermaid|dot]`."""
from __future__ import annotations

import sys

from ..errors import InputError
from ..graph.check import check_graph
from ..graph.draw import to_dot, to_mermaid
from ..graph.loader import load_graph


def _cause_problems(book, graph) -> list[str]:
    """A plan's `causes:` names verdict nodes: each must exist and end on that plan's verdict."""
    out = []
    for code, plan in book.verdicts.items():
        for node, cause in plan.causes.items():
            found = graph.nodes.get(node)
            if found is None or found.kind != "verdict" or found.verdict != code:
                out.append(f"{cause.where}: cause '{node}' of '{code}' is no verdict node of graph '{graph.id}' "
                           f"ending on {code}")
    return out


def _check_plans(path, graph) -> str | None:
    """The fix plans beside the graph (rules/plans.yaml), when there are any: loading validates every step name,
    verdict and finding code with FILE:LINE errors. Returns a summary line."""
    from pathlib import Path

    from ..fixes.plans_file import load_plans, plans_path

    plans = plans_path() if path is None else Path(path) / "plans.yaml" if Path(path).is_dir() else None
    if plans is None or not plans.exists():
        return None
    from ..fixes.plan_safety import plan_problems

    book = load_plans(plans, prove=False)
    problems: list = plan_problems(book)
    problems += _cause_problems(book, graph)
    for problem in problems:
        print(f"vescdoctor: {problem}", file=sys.stderr)
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the fix plans {plans}: a destructive step that could run "
                         "before the backup, or a cause naming no verdict node")
    return f"fix plans: {len(book.verdicts)} verdicts with a plan, {len(book.findings)} findings that add steps"


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
    plans = _check_plans(args.path, graph)
    if plans:
        print(plans)
    return 0
