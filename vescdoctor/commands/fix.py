"""`vescdoctor fix`: diagnose, then run the verdict's fix plan (rules/plans.yaml) with consent.

Progress goes to stderr as one line per phase plus a simple bar; with --json stdout holds only the report.
Exit codes (spec/cli.md): 0 done and healthy after, 1 did not complete, 2 bad input or refused, 3 chip unreachable.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import Declined, InputError
from ..report.text import action_state
from .wording import error_text, notice_text, outcome_text


class StderrProgress:
    """FixEvents as lines on stderr: a header per phase, a 20-step bar that redraws on a TTY, log lines."""

    def __init__(self, out=None, width: int = 30):
        self.out, self.width = out or sys.stderr, width
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.phase = None
        self.last_step = -1

    def __call__(self, event) -> None:
        if event.kind == "log":
            self._end_bar()
            print(f"  {event.message}", file=self.out)
        elif event.kind == "phase":
            self._end_bar()
            print(f"[{event.phase}] {event.message}" + (" - do not unplug" if event.writing else ""), file=self.out)
            self.phase, self.last_step = event.phase, -1
        elif event.kind == "progress" and event.fraction is not None:
            if event.phase != self.phase:
                self._end_bar()
                self.phase, self.last_step = event.phase, -1
            step = int(event.fraction * self.width)
            if step == self.last_step:
                return
            self.last_step = step
            bar = f"  {event.phase:<8}[{'#' * step}{'.' * (self.width - step)}] {event.fraction * 100:5.1f}%"
            if self.tty:
                print("\r" + bar, end="", file=self.out, flush=True)
            elif step in (0, self.width) or step % 10 == 0:
                print(bar, file=self.out)

    def _end_bar(self) -> None:
        if self.tty and self.last_step >= 0:
            print(file=self.out)
        self.last_step = -1


def confirm(plan, backup_dir: Path, *, stdin=None, out=None) -> bool:
    """Ask on a TTY; False unless the answer is yes."""
    stdin, out = stdin or sys.stdin, out or sys.stderr
    print("\nThis will change the board:", file=out)
    for line in plan.describe(notice_text):
        print("  " + line, file=out)
    if "backup" in plan.step_names:
        print(f"  The backup goes to {backup_dir}", file=out)
    print("Type 'yes' to go ahead: ", end="", file=out, flush=True)
    answer = stdin.readline().strip().lower()
    return answer in ("yes", "y")


def run(args) -> int:
    from ..diagnosis import INCONCLUSIVE, parse_answers, run_diagnosis
    from ..fixes.backup import check_backup_dir, default_backup_dir
    from ..fixes.execute import execute_plan
    from ..fixes.plan import make_plan
    from ..fixes.plans_file import load_plans
    from ..graph.check import load_checked_graph
    from ..images import load_image
    from ..report.model import build_report, to_json
    from .common import check_report_path, open_environment, print_verdict, quiet_pyocd, try_write_report

    quiet_pyocd(args)
    check_report_path(args)
    graph = load_checked_graph()
    answers = parse_answers(args.answer, graph)
    bootloader = load_image(args.bootloader) if args.bootloader else None
    firmware = load_image(args.firmware) if args.firmware else None
    backup_dir = Path(args.backup_dir) if args.backup_dir else default_backup_dir()
    if not args.dry_run:
        check_backup_dir(backup_dir)  # bad input: said before the diagnosis, not after it as a failed backup
    log = lambda line: print(line, file=sys.stderr)  # noqa: E731
    outcome = None
    plan = None
    refusal = None
    with open_environment(args) as env:
        diagnosis = run_diagnosis(env, graph, answers=answers, emit=log)
        report = build_report(diagnosis.result, env_summary=diagnosis.env_summary, graph=graph, command="fix",
                              keep_uid=args.keep_uid)
        if diagnosis.verdict in INCONCLUSIVE:
            print_verdict(report, out=sys.stderr)
            exit_code = 3
        elif diagnosis.verdict != "healthy" and diagnosis.verdict not in load_plans().verdicts:
            # A cable, a permission, BOOT0: the rider fixes it, not a flash write. Not bad input: a problem found.
            print_verdict(report, out=sys.stderr)
            print("vescdoctor: nothing to write to the chip for this verdict: follow the next steps above",
                  file=sys.stderr)
            exit_code = 1
        else:
            try:
                plan = make_plan(diagnosis, bootloader=bootloader, firmware=firmware, keep_config=args.keep_config,
                                 board_hw=answers.get("hw") if answers.get("hw") != "unsure" else None,
                                 backup_dir=backup_dir)
                text_out = sys.stderr if args.json else sys.stdout
                print(f"\nVerdict: {diagnosis.verdict}", file=sys.stderr)
                if args.dry_run or not plan.steps:
                    for line in plan.describe(notice_text):
                        print(line, file=text_out)
                    if args.dry_run and plan.steps:
                        print("Dry run: nothing was changed.", file=text_out)
                    exit_code = 0
                else:
                    if plan.destructive and not args.yes:
                        if not (sys.stdin.isatty() and sys.stderr.isatty()):
                            raise InputError("the fix erases and writes flash: pass --yes (or run on a terminal to "
                                             "confirm); nothing was changed")
                        if not confirm(plan, backup_dir):
                            # the user said no: not bad input, a fix that did not run (exit 1)
                            raise Declined("not confirmed; nothing was changed")
                    else:
                        for line in plan.describe(notice_text):
                            print(line, file=sys.stderr)
                    chip_before = env.chip_seconds()
                    outcome = execute_plan(plan, env, on_event=StderrProgress(), backup_dir=backup_dir,
                                           answers=answers)
                    exit_code = 0 if outcome.ok else 3 if outcome.unreachable else 1
                    if chip_before is not None:
                        print(f"bench: a real STM32F405 would have spent {env.chip_seconds() - chip_before:.2f} s "
                              "erasing and programming (datasheet typical times)", file=sys.stderr)
            except (InputError, Declined) as exc:
                # Refused after the diagnosis (wrong-HW file, HW unknown, no consent): nothing was written, and a
                # script still gets the diagnosis (--json, --report) beside the one-line reason.
                refusal, exit_code = exc, exc.exit_code
    if plan is not None:
        report = build_report(diagnosis.result, env_summary=diagnosis.env_summary, graph=graph, command="fix",
                              keep_uid=args.keep_uid, plan=plan.steps, images=plan.images,
                              actions=outcome.actions if outcome else (), backups=outcome.backups if outcome else ())
        if outcome is not None and outcome.after is not None:
            report["after"] = {"verdict": outcome.after.verdict, "findings": list(outcome.after.result.findings)}
    report_error = try_write_report(report, args) if args.report else None
    if args.json:
        sys.stdout.write(to_json(report))
    if outcome is not None:
        for a in outcome.actions:
            mark = {"ok": "ok ", "stopped": "stopped", "failed": "FAILED"}[action_state(a)]
            print(f"  {mark} {a['step']}: {a.get('detail', '')}", file=sys.stderr)
        if outcome.ok:  # the result on stdout too, as diagnose's verdict (`fix ... > log.txt` keeps it)
            print(f"Fix {outcome.message}", file=sys.stderr if args.json else sys.stdout)
        else:
            print(f"vescdoctor: fix did not complete: {outcome_text(outcome)}", file=sys.stderr)
    if refusal is not None:
        print(f"vescdoctor: {error_text(refusal)}", file=sys.stderr)
    if report_error:  # said last, so it is seen; the exit code stays the fix's
        print(report_error, file=sys.stderr)
    return exit_code
