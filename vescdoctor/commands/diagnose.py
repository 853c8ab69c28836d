"""`vescdoctor diagnose [--sim BOARD] [--answer ID=CODE]... [--report FILE] [--json]`: the graph, walked
non-interactively. Progress and the transcript go to stderr; with --json stdout holds the report and nothing else."""
from __future__ import annotations

import sys

from ..diagnosis import parse_answers, run_diagnosis
from ..graph.loader import load_graph


def open_environment(args):
    from ..environment import real_environment, sim_environment

    return sim_environment(args.sim) if args.sim else real_environment(getattr(args, "probe", None))


def print_verdict(report: dict, out=sys.stdout) -> None:
    verdict = report.get("verdict") or {}
    print(f"\nVerdict: {verdict.get('code')} - {verdict.get('title')}", file=out)
    print(verdict.get("explanation", ""), file=out)
    if report.get("findings"):
        print("Findings: " + ", ".join(report["findings"]), file=out)
    for step in verdict.get("next_steps") or []:
        print(f"  - {step}", file=out)


def run(args) -> int:
    from ..report.model import build_report, to_json, write_report

    graph = load_graph()
    answers = parse_answers(args.answer, graph)
    with open_environment(args) as env:
        diagnosis = run_diagnosis(env, graph, answers=answers, emit=lambda line: print(line, file=sys.stderr))
    report = build_report(diagnosis.result, env_summary=diagnosis.env_summary, graph=graph, command="diagnose",
                          keep_uid=args.keep_uid)
    if args.report:
        path = write_report(report, args.report, keep_uid=args.keep_uid)
        print(f"report written to {path}", file=sys.stderr)
    if args.json:
        sys.stdout.write(to_json(report))
    else:
        print_verdict(report)
    return diagnosis.exit_code
