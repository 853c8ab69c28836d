"""`vescdoctor diagnose [--sim BOARD] [--answer ID=CODE]... [--report FILE] [--json]`: the graph, walked
non-interactively. Progress and the transcript go to stderr; with --json stdout holds the report and nothing else."""
from __future__ import annotations

import sys

from ..diagnosis import parse_answers, run_diagnosis
from ..flows import diagnosis_exit, diagnosis_report
from ..graph.check import load_checked_graph
from .common import (
    bench_measurement,
    check_report_path,
    open_environment,
    print_hw_answer,
    print_verdict,
    quiet_pyocd,
    transcript,
    try_write_report,
)


def run(args) -> int:
    from ..report.model import to_json

    quiet_pyocd(args)
    graph = load_checked_graph()
    answers = parse_answers(args.answer, graph)
    check_report_path(args)
    print_hw_answer(answers)  # after every refusal of bad input: a refusal stays one line
    with open_environment(args) as env:
        diagnosis = run_diagnosis(env, graph, answers=answers, emit=transcript(args))
        measured = bench_measurement(env)
    report = diagnosis_report(diagnosis, graph=graph, command="diagnose", keep_uid=args.keep_uid)
    if measured is not None:
        report["bench"] = measured
    report_error = try_write_report(report, args) if args.report else None
    if args.json:
        sys.stdout.write(to_json(report))
    else:
        print_verdict(report)
    if report_error:
        print(report_error, file=sys.stderr)
    return diagnosis_exit(diagnosis.verdict)
