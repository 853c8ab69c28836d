"""What several commands share: opening the environment, quieting pyOCD's log, the --report file, the verdict as
text. Each command module stays about its own command."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from ..errors import VescDoctorError


def quiet_pyocd(args) -> None:
    """pyOCD logs a lost probe or a silent chip as several 'Probe error during close' / 'SWD/JTAG communication
    failure' lines; the commands say it once, plainly. --debug keeps pyOCD's log."""
    import logging

    if not getattr(args, "debug", False):
        logging.getLogger("pyocd").setLevel(logging.CRITICAL)


def is_terminal(stream) -> bool:
    """Whether `stream` is an open terminal. A closed stdin (`<&-`: Python makes sys.stdin None) or a closed stream
    is no terminal, as a pipe is (issue 12, item 7)."""
    try:
        return stream is not None and not stream.closed and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def on_a_terminal() -> bool:
    """Whether a person can be asked here: stdin and stderr are open terminals."""
    return is_terminal(sys.stdin) and is_terminal(sys.stderr)


def print_hw_answer(answers: dict) -> None:
    """Say on stderr what an `--answer hw=` was read as, and which VESC Tool firmware folders fit it."""
    if answers.get("hw") and answers["hw"] != "unsure":
        from ..knowledge.hw_names import resolve_hw

        print(resolve_hw(answers["hw"]).note(), file=sys.stderr)


def check_report_path(args) -> None:
    """--report FILE that cannot be written is refused (InputError, exit 2) before the board is touched."""
    if getattr(args, "report", None):
        from ..fileguard import note_input
        from ..report.files import check_writable

        for given in (getattr(args, "firmware", None), getattr(args, "bootloader", None)):
            if given:  # read later; never the report's place
                note_input(Path(given))
        check_writable(args.report, force=getattr(args, "force", False))


def try_write_report(report: dict, args) -> str | None:
    """Write --report FILE. A failure now (the path was checked at the start, so something changed since) must not
    hide the outcome or change the exit code: it comes back as the line to say last on stderr (None: written)."""
    from ..report.model import write_report

    try:
        path = write_report(report, args.report, keep_uid=args.keep_uid, force=getattr(args, "force", False))
    except (VescDoctorError, OSError, ValueError) as exc:
        return f"vescdoctor: the report could not be written: {exc}"
    print(f"report written to {path}", file=sys.stderr)
    return None


def bench_measurement(env) -> dict | None:
    """On the virtual bench: the report's `bench` block (what the run would have cost on the real chip and probe,
    docs/bench.md); None on real hardware. Taken while the environment is still open."""
    bench = getattr(env, "bench", None)
    measure = getattr(bench, "measurement", None)
    return measure() if measure is not None else None


@contextmanager
def open_environment(args):
    """The board's environment, held by this command alone for the `with` block (boardlock: a second command on the
    same board is refused before it touches the chip, exit 3)."""
    from ..boardlock import board_lock
    from ..environment import real_environment, sim_environment

    with board_lock(sim=args.sim, probe=getattr(args, "probe", None), command=args.command or "tui"):
        env = sim_environment(args.sim) if args.sim else real_environment(getattr(args, "probe", None))
        with env:
            yield env


def print_verdict(report: dict, out=None) -> None:
    out = out or sys.stdout  # looked up now: a default bound at import would keep a stream replaced since
    verdict = report.get("verdict") or {}
    print(f"\nVerdict: {verdict.get('code')} - {verdict.get('title')}", file=out)
    print(verdict.get("explanation", ""), file=out)
    if report.get("findings"):
        print("Findings: " + ", ".join(report["findings"]), file=out)
    for step in verdict.get("next_steps") or []:
        print(f"  - {step}", file=out)


def fix_command(*, sim=None, probe=None, bootloader=None, firmware=None, backup_dir=None, keep_config=True,
                answers=()) -> str:
    """The `vescdoctor fix ...` command line that repeats a repair on the same board with the same images, quoted
    for this computer's shell: what a message says to run again (a bare `vescdoctor fix` would look for real
    hardware, and on a simulated or demo board that is the wrong board)."""
    import os
    import shlex
    import subprocess

    argv = ["vescdoctor", "fix"]
    for flag, value in (("--sim", sim), ("--probe", probe), ("--bootloader", bootloader), ("--firmware", firmware),
                        ("--backup-dir", backup_dir)):
        if value:
            argv += [flag, str(value)]
    argv += [f"--answer={a}" for a in answers]
    if not keep_config:
        argv.append("--no-keep-config")
    return subprocess.list2cmdline(argv) if os.name == "nt" else shlex.join(argv)


def with_own_command(message: str, command: str) -> str:
    """The engine's "run `vescdoctor fix` again" with the command that repeats this very repair."""
    return message.replace("`vescdoctor fix`", f"`{command}`")


def progress(args):
    """The fix engine's events on stderr (commands/progress.py): Rich bars on a terminal, plain lines otherwise;
    --quiet keeps the phase lines only."""
    from ..knowledge.flash import FLASH_SIZE
    from .progress import ConsoleProgress

    # the backup reads the whole flash: its rate is known (the engine's events carry fractions only)
    return ConsoleProgress(quiet=bool(getattr(args, "quiet", False)), phase_bytes={"backup": FLASH_SIZE})


def transcript(args):
    """Where the diagnosis's transcript lines go: stderr, or nowhere with --quiet."""
    if getattr(args, "quiet", False):
        return lambda line: None
    return lambda line: print(line, file=sys.stderr)
