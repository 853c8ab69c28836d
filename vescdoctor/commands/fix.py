"""`vescdoctor fix`: diagnose, then run the verdict's fix plan (rules/plans.yaml) with consent.

Progress goes to stderr as one line per phase plus a simple bar; with --json stdout holds only the report.
Exit codes (spec/cli.md): 0 done and healthy after, 1 did not complete, 2 bad input or refused, 3 chip unreachable.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..diagnosis import Diagnosis
from ..environment import Environment
from ..errors import Declined, ExitCode, InputError, VescDoctorError
from ..fixes.execute import FixOutcome
from ..fixes.records import Plan
from ..flows import INCONCLUSIVE, answered_hw, diagnosis_report, fix_exit, fixable
from ..images import LoadedImage
from ..report.text import action_state
from .wording import error_text, notice_text, outcome_text


class StderrProgress:
    """FixEvents as lines on stderr: a header per phase, a 20-step bar that redraws on a TTY, log lines."""

    def __init__(self, out=None, width: int = 30):
        self.out, self.width = out or sys.stderr, width
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.phase = None
        self.last_step = -1

    def __call__(self, event: Any) -> None:
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


@dataclass
class FixRun:
    """What `fix` did after the diagnosis: the plan, the fix's outcome, or why nothing was written."""

    diagnosis: Diagnosis
    plan: Plan | None = None
    outcome: FixOutcome | None = None
    refusal: VescDoctorError | None = None
    exit_code: int = ExitCode.OK
    show_verdict: bool = False  # nothing to plan: the verdict and its next steps are the answer
    note: str | None = None


def run(args) -> int:
    from ..diagnosis import parse_answers, run_diagnosis
    from ..fixes.backup import check_backup_dir, default_backup_dir
    from ..graph.check import load_checked_graph
    from ..images import load_image
    from ..report.model import to_json
    from .common import check_report_path, open_environment, print_verdict, quiet_pyocd, try_write_report

    quiet_pyocd(args)
    check_report_path(args)
    graph = load_checked_graph()
    answers = parse_answers(args.answer, graph)
    images = {"bootloader": load_image(args.bootloader) if args.bootloader else None,
              "firmware": load_image(args.firmware) if args.firmware else None}
    backup_dir = Path(args.backup_dir) if args.backup_dir else default_backup_dir()
    if not args.dry_run:
        check_backup_dir(backup_dir)  # bad input: said before the diagnosis, not after it as a failed backup
    with open_environment(args) as env:
        diagnosis = run_diagnosis(env, graph, answers=answers, emit=lambda line: print(line, file=sys.stderr))
        done = _act(args, env, diagnosis, answers, images, backup_dir)
    report = diagnosis_report(diagnosis, graph=graph, command="fix", keep_uid=args.keep_uid, plan=done.plan,
                              outcome=done.outcome)
    if done.show_verdict:
        print_verdict(report, out=sys.stderr)
    if done.note:
        print(done.note, file=sys.stderr)
    report_error = try_write_report(report, args) if args.report else None
    if args.json:
        sys.stdout.write(to_json(report))
    _say_outcome(done, args)
    if report_error:  # said last, so it is seen; the exit code stays the fix's
        print(report_error, file=sys.stderr)
    return done.exit_code


def _act(args, env: Environment, diagnosis: Diagnosis, answers: dict[str, str],
         images: dict[str, LoadedImage | None], backup_dir: Path) -> FixRun:
    from ..fixes.plan import make_plan

    done = FixRun(diagnosis)
    verdict = diagnosis.verdict
    if verdict in INCONCLUSIVE:
        done.show_verdict, done.exit_code = True, ExitCode.INCONCLUSIVE
    elif verdict != "healthy" and not fixable(verdict):
        # A cable, a permission, BOOT0: the rider fixes it, not a flash write. Not bad input: a problem found.
        done.show_verdict, done.exit_code = True, ExitCode.PROBLEM
        done.note = "vescdoctor: nothing to write to the chip for this verdict: follow the next steps above"
    else:
        try:
            done.plan = make_plan(diagnosis, bootloader=images["bootloader"], firmware=images["firmware"],
                                  keep_config=args.keep_config, board_hw=answered_hw(answers), backup_dir=backup_dir)
            _apply(args, env, done, answers, backup_dir)
        except (InputError, Declined) as exc:
            # Refused after the diagnosis (wrong-HW file, HW unknown, no consent): nothing was written, and a
            # script still gets the diagnosis (--json, --report) beside the one-line reason.
            done.refusal, done.exit_code = exc, exc.exit_code
    return done


def _apply(args, env: Environment, done: FixRun, answers: dict[str, str], backup_dir: Path) -> None:
    from ..fixes.execute import execute_plan

    plan = done.plan
    assert plan is not None
    text_out = sys.stderr if args.json else sys.stdout
    print(f"\nVerdict: {done.diagnosis.verdict}", file=sys.stderr)
    if args.dry_run or not plan.steps:
        for line in plan.describe(notice_text):
            print(line, file=text_out)
        if args.dry_run and plan.steps:
            print("Dry run: nothing was changed.", file=text_out)
        done.exit_code = ExitCode.OK
        return
    _consent(args, plan, backup_dir)
    chip_before = env.chip_seconds()
    done.outcome = execute_plan(plan, env, on_event=StderrProgress(), backup_dir=backup_dir, answers=answers)
    done.exit_code = fix_exit(done.outcome)
    chip_after = env.chip_seconds()
    if chip_before is not None and chip_after is not None:
        print(f"bench: a real STM32F405 would have spent {chip_after - chip_before:.2f} s erasing and programming "
              "(datasheet typical times)", file=sys.stderr)


def _consent(args, plan: Plan, backup_dir: Path) -> None:
    """Consent to a destructive plan (--yes, or 'yes' on a terminal); a plan that destroys nothing is shown."""
    if plan.destructive and not args.yes:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise InputError("the fix erases and writes flash: pass --yes (or run on a terminal to confirm); nothing "
                             "was changed")
        if not confirm(plan, backup_dir):
            raise Declined("not confirmed; nothing was changed")  # not bad input: a fix that did not run (exit 1)
    else:
        for line in plan.describe(notice_text):
            print(line, file=sys.stderr)


def _say_outcome(done: FixRun, args) -> None:
    outcome = done.outcome
    if outcome is not None:
        for a in outcome.actions:
            mark = {"ok": "ok ", "stopped": "stopped", "failed": "FAILED"}[action_state(a)]
            print(f"  {mark} {a['step']}: {a.get('detail', '')}", file=sys.stderr)
        if outcome.ok:  # the result on stdout too, as diagnose's verdict (`fix ... > log.txt` keeps it)
            print(f"Fix {outcome.message}", file=sys.stderr if args.json else sys.stdout)
        else:
            print(f"vescdoctor: fix did not complete: {outcome_text(outcome)}", file=sys.stderr)
    if done.refusal is not None:
        print(f"vescdoctor: {error_text(done.refusal)}", file=sys.stderr)
