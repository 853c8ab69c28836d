"""`vescdoctor fix`: diagnose, then run the verdict's fix plan (rules/plans.yaml) with consent.

Progress goes to stderr (commands/progress.py: Rich bars on a terminal, plain lines otherwise); with --json stdout
holds only the report.
Exit codes (spec/cli.md): 0 done and healthy after, 1 did not complete, 2 bad input or refused, 3 chip unreachable.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ..diagnosis import Diagnosis
from ..environment import Environment
from ..errors import Declined, ExitCode, InputError, VescDoctorError
from ..fixes.execute import FixOutcome
from ..fixes.records import Plan
from ..flows import INCONCLUSIVE, answered_hw, diagnosis_report, fix_exit, fixable
from ..images import LoadedImage
from ..report.text import action_state
from ..usbrepair.plan import UsbPlan
from .wording import error_text, notice_text, outcome_text


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
    plan: Plan | UsbPlan | None = None
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

    quiet_pyocd(args)
    check_report_path(args)
    graph = load_checked_graph()
    answers = parse_answers(args.answer, graph)
    images = {"bootloader": load_image(args.bootloader) if args.bootloader else None,
              "firmware": load_image(args.firmware) if args.firmware else None}
    backup_dir = Path(args.backup_dir) if args.backup_dir else default_backup_dir()
    if not args.dry_run:
        check_backup_dir(backup_dir)  # bad input: said before the diagnosis, not after it as a failed backup
    print_hw_answer(answers)  # after every refusal of bad input: a refusal stays one line
    with open_environment(args) as env:
        diagnosis = run_diagnosis(env, graph, answers=answers, emit=transcript(args))
        done = _act(args, env, diagnosis, answers, images, backup_dir)
        measured = bench_measurement(env)
    report = diagnosis_report(diagnosis, graph=graph, command="fix", keep_uid=args.keep_uid, plan=done.plan,
                              outcome=done.outcome)
    if measured is not None:
        report["bench"] = measured
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
    from ..catalog.fetch import SourceUnavailable
    from ..flows import choose_via
    from .fix_usb import interrupted_notice, run_usb_fix

    done = FixRun(diagnosis)
    verdict = diagnosis.verdict
    if choose_via(args.via, diagnosis.result.facts or {}) == "usb":
        done.exit_code, done.plan, done.outcome, done.refusal = run_usb_fix(
            args, diagnosis, env, images["bootloader"], images["firmware"], backup_dir)
    elif verdict in INCONCLUSIVE:
        done.show_verdict, done.exit_code = True, ExitCode.INCONCLUSIVE
        done.note = "\n".join(interrupted_notice(backup_dir)) or None  # a USB repair cut off: only SWD goes on
    elif verdict != "healthy" and not fixable(verdict):
        # A cable, a permission, BOOT0: the rider fixes it, not a flash write. Not bad input: a problem found.
        done.show_verdict, done.exit_code = True, ExitCode.PROBLEM
        done.note = "vescdoctor: nothing to write to the chip for this verdict: follow the next steps above"
    else:
        try:
            done.plan = _plan(args, diagnosis, answers, images, backup_dir)
            _apply(args, env, done, answers, backup_dir)
        except (InputError, Declined, SourceUnavailable) as exc:
            # Refused after the diagnosis (wrong-HW file, HW unknown, no consent): nothing was written, and a
            # script still gets the diagnosis (--json, --report) beside the one-line reason.
            done.refusal, done.exit_code = exc, exc.exit_code
    return done


def _plan(args, diagnosis: Diagnosis, answers: dict[str, str], images: dict[str, LoadedImage | None],
          backup_dir: Path) -> Plan:
    """The plan, with the catalog's images for the board's HW where none were given (it asks before a download;
    docs/catalog.md)."""
    from ..catalog.resolve import ask_before_download, describe_taken, name_releases, resolve_images
    from ..fixes.plan import make_plan

    board_hw = answered_hw(answers)
    bootloader, firmware, taken = resolve_images(
        diagnosis, bootloader=images["bootloader"], firmware=images["firmware"], board_hw=board_hw,
        version=args.firmware_version, backup_dir=backup_dir, mirror=args.mirror, offline=args.offline,
        ask=ask_before_download(args.yes))
    plan = make_plan(diagnosis, bootloader=bootloader, firmware=firmware, keep_config=args.keep_config,
                     board_hw=board_hw, backup_dir=backup_dir, erase_all=args.erase_all)
    name_releases(plan.images, taken)
    for line in describe_taken(taken):
        print(line, file=sys.stderr)
    return plan


def _apply(args, env: Environment, done: FixRun, answers: dict[str, str], backup_dir: Path) -> None:
    from ..fixes.execute import execute_plan
    from .common import bench_measurement, progress

    plan = done.plan
    assert isinstance(plan, Plan)  # the SWD path's plan (the USB path has its own, commands/fix_usb.py)
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
    before = bench_measurement(env)
    shown = progress(args)
    try:
        done.outcome = execute_plan(plan, env, on_event=shown, backup_dir=backup_dir, answers=answers)
    finally:
        shown.close()
    done.exit_code = fix_exit(done.outcome)
    now = bench_measurement(env)
    if before is not None and now is not None:
        print(f"bench: on a real STM32F405 and {now['probe']} the fix would have taken "
              f"{now['modelled_seconds'] - before['modelled_seconds']:.1f} s "
              f"({now['chip_seconds'] - before['chip_seconds']:.2f} s erasing and programming, "
              f"{now['link_seconds'] - before['link_seconds']:.1f} s on the probe link)", file=sys.stderr)


def _consent(args, plan: Plan, backup_dir: Path) -> None:
    """Consent to a destructive plan (--yes, or 'yes' on a terminal); a plan that destroys nothing is shown."""
    if plan.destructive and not args.yes:
        from .common import is_terminal

        # ask on the terminal: stderr, or stdout when only stderr is redirected (`2> log`); a closed stdin or
        # stream is no terminal (common.is_terminal)
        ask_on = sys.stderr if is_terminal(sys.stderr) else \
            sys.stdout if is_terminal(sys.stdout) and not args.json else None
        if not (is_terminal(sys.stdin) and ask_on is not None):
            raise InputError("the fix erases and writes flash: pass --yes (or run on a terminal to confirm); nothing "
                             "was changed")
        if not confirm(plan, backup_dir, out=ask_on):
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
            from .common import fix_command, with_own_command

            again = fix_command(sim=args.sim, probe=args.probe, bootloader=args.bootloader, firmware=args.firmware,
                                backup_dir=args.backup_dir, keep_config=args.keep_config, answers=args.answer)
            print(f"vescdoctor: fix did not complete: {with_own_command(outcome_text(outcome), again)}",
                  file=sys.stderr)
    if done.refusal is not None:
        print(f"vescdoctor: {error_text(done.refusal)}", file=sys.stderr)
