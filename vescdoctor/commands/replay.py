"""`vescdoctor replay FILE [--json]`: walk the current graph again with a report's answers and facts.

Exit 0: the same verdict; 1: a different verdict (or the walk needed something the report never recorded);
2: a bad report or graph. No hardware is touched: recorded probe facts stand in for the probes.
"""
from __future__ import annotations

import json
import sys

from ..report.load import load_report


def run(args) -> int:
    from ..graph.check import load_checked_graph
    from ..report.replay import replay_report

    report = load_report(args.file)
    graph = load_checked_graph(getattr(args, "rules", None))
    result = replay_report(report, graph)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        for line in result.summary_lines():
            print(line)
    return 0 if result.same_verdict else 1
