"""`vescdoctor fix`: diagnose, then run the verdict's fix plan (rules/plans.yaml) with consent.

Progress goes to stderr (commands/progress.py: Rich bars on a terminal, plain lines otherwise); with --json stdout
holds only the report.
Exit codes (spec/cli.md): 0 done and healthy after, 1 did not complete, 2 bad input or refused, 3 chip unreachable.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import Declined, InputError
from ..report.text import action_state


def confirm(plan, backup_dir: Path, *, stdin=None, out=None) -> bool:
    """Ask on a TTY; False unless the answer is yes."""
    stdin, out = stdin or sys.stdin, out or sys.stderr
    print("\nThis will change the board:", file=out)
    for line in plan.describe():
        print("  " + line, file=out)
    if "backup" in plan.step_names:
        print(f"  The backup goes to {backup_dir}", file=out)
    print("Type 'yes' to go ahead: ", end="", file=out, flush=True)
    answer = stdin.readline().strip().lower()
    return answer in ("yes", "y")


def run(args) -> int:
    from ..catalog.fetch import SourceUnavailable
    from ..catalog.resolve import ask_before_download, describe_taken, name_releases, resolve_images
    from ..diagnosis import INCONCLUSIVE, parse_answers, run_diagnosis
    from ..fixes.backup import check_backup_dir, default_backup_dir
    from ..fixes.execute import execute_plan
    from ..fixes.plan import make_plan
    from ..fixes.plans_file import load_plans
    from ..graph.check import load_checked_graph
    from ..images import load_image
    from ..report.model import after_record, build_report, to_json
    from .common import (bench_measurement, check_report_path, fix_command, is_terminal, open_environment,
                         print_hw_answer, print_verdict, progress, quiet_pyocd, transcript, try_write_report,
                         with_own_command)
    from .fix_usb import choose_via, interrupted_notice, run_usb_fix

    quiet_pyocd(args)
    check_report_path(args)
    graph = load_checked_graph()
    answers = parse_answers(args.answer, graph)
    bootloader = load_image(args.bootloader) if args.bootloader else None
    firmware = load_image(args.firmware) if args.firmware else None
    backup_dir = Path(args.backup_dir) if args.backup_dir else default_backup_dir()
    if not args.dry_run:
        check_backup_dir(backup_dir)  # bad input: said before the diagnosis, not after it as a failed backup
    print_hw_answer(answers)  # after every refusal of bad input: a refusal stays one line
    log = transcript(args)
    outcome = None
    plan = None
    refusal = None
    with open_environment(args) as env:
        diagnosis = run_diagnosis(env, graph, answers=answers, emit=log)
        report = build_report(diagnosis.result, env_summary=diagnosis.env_summary, graph=graph, command="fix",
                              keep_uid=args.keep_uid)
        if choose_via(args.via, diagnosis.result.facts or {}) == "usb":
            exit_code, plan, outcome, refusal = run_usb_fix(args, diagnosis, env, bootloader, firmware, backup_dir)
        elif diagnosis.verdict in INCONCLUSIVE:
            print_verdict(report, out=sys.stderr)
            for line in interrupted_notice(backup_dir):
                print(line, file=sys.stderr)
            exit_code = 3
        elif diagnosis.verdict != "healthy" and diagnosis.verdict not in load_plans().verdicts:
            # A cable, a permission, BOOT0: the rider fixes it, not a flash write. Not bad input: a problem found.
            print_verdict(report, out=sys.stderr)
            print("vescdoctor: nothing to write to the chip for this verdict: follow the next steps above",
                  file=sys.stderr)
            exit_code = 1
        else:
            try:
                board_hw = answers.get("hw") if answers.get("hw") != "unsure" else None
                # images not given: the catalog's for the board's HW (asks before a download; docs/catalog.md)
                bootloader, firmware, taken = resolve_images(
                    diagnosis, bootloader=bootloader, firmware=firmware, board_hw=board_hw,
                    version=args.firmware_version, backup_dir=backup_dir, mirror=args.mirror, offline=args.offline,
                    ask=ask_before_download(args.yes))
                plan = make_plan(diagnosis, bootloader=bootloader, firmware=firmware, keep_config=args.keep_config,
                                 board_hw=board_hw, backup_dir=backup_dir, erase_all=args.erase_all)
                name_releases(plan.images, taken)
                for line in describe_taken(taken):
                    print(line, file=sys.stderr)
                text_out = sys.stderr if args.json else sys.stdout
                print(f"\nVerdict: {diagnosis.verdict}", file=sys.stderr)
                if args.dry_run or not plan.steps:
                    for line in plan.describe():
                        print(line, file=text_out)
                    if args.dry_run and plan.steps:
                        print("Dry run: nothing was changed.", file=text_out)
                    exit_code = 0
                else:
                    if plan.destructive and not args.yes:
                        # ask on the terminal: stderr, or stdout when only stderr is redirected (`2> log`); a
                        # closed stdin or stream is no terminal (common.is_terminal)
                        ask_on = sys.stderr if is_terminal(sys.stderr) else \
                            sys.stdout if is_terminal(sys.stdout) and not args.json else None
                        if not (is_terminal(sys.stdin) and ask_on is not None):
                            raise InputError("the fix erases and writes flash: pass --yes (or run on a terminal to "
                                             "confirm); nothing was changed")
                        if not confirm(plan, backup_dir, out=ask_on):
                            # the user said no: not bad input, a fix that did not run (exit 1)
                            raise Declined("not confirmed; nothing was changed")
                    else:
                        for line in plan.describe():
                            print(line, file=sys.stderr)
                    before = bench_measurement(env)
                    shown = progress(args)
                    try:
                        outcome = execute_plan(plan, env, on_event=shown, backup_dir=backup_dir, answers=answers)
                    finally:
                        shown.close()
                    exit_code = 0 if outcome.ok else 3 if outcome.unreachable else 1
                    if before is not None:
                        now = bench_measurement(env)
                        print(f"bench: on a real STM32F405 and {now['probe']} the fix would have taken "
                              f"{now['modelled_seconds'] - before['modelled_seconds']:.1f} s "
                              f"({now['chip_seconds'] - before['chip_seconds']:.2f} s erasing and programming, "
                              f"{now['link_seconds'] - before['link_seconds']:.1f} s on the probe link)",
                              file=sys.stderr)
            except (InputError, Declined, SourceUnavailable) as exc:
                # Refused after the diagnosis (wrong-HW file, HW unknown, no consent): nothing was written, and a
                # script still gets the diagnosis (--json, --report) beside the one-line reason.
                refusal, exit_code = exc, exc.exit_code
        measured = bench_measurement(env)
    if plan is not None:
        report = build_report(diagnosis.result, env_summary=diagnosis.env_summary, graph=graph, command="fix",
                              keep_uid=args.keep_uid, plan=plan.steps, images=plan.images,
                              actions=outcome.actions if outcome else (), backups=outcome.backups if outcome else ())
        if outcome is not None and outcome.after is not None:
            report["after"] = after_record(outcome.after)
    if measured is not None:
        report["bench"] = measured
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
            again = fix_command(sim=args.sim, probe=args.probe, bootloader=args.bootloader, firmware=args.firmware,
                                backup_dir=args.backup_dir, keep_config=args.keep_config, answers=args.answer)
            print(f"vescdoctor: fix did not complete: {with_own_command(outcome.message, again)}", file=sys.stderr)
    if refusal is not None:
        print(f"vescdoctor: {refusal}", file=sys.stderr)
    if report_error:  # said last, so it is seen; the exit code stays the fix's
        print(report_error, file=sys.stderr)
    return exit_code
