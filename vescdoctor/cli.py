"""The command line of shared/spec/cli.md: argument parsing, exit codes and the one-line error. Nothing else.

Each command lives in vescdoctor/commands/<name>.py as `run(args) -> int` and is imported only when it runs, so
`--help` and `--version` never import pyOCD, Textual or Unicorn.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import ExitCode


def _add_sim(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sim", metavar="BOARD", help="use a simulated board directory instead of real hardware")
    p.add_argument("--probe", metavar="UID", help="the debug probe to use when several are connected "
                   "(pyOCD unique id, e.g. stlink:066DFF...)")


def _add_report(p: argparse.ArgumentParser) -> None:
    p.add_argument("--report", metavar="FILE", help="write the report (JSON) to FILE")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document on stdout")
    p.add_argument("--keep-uid", action="store_true",
                   help="keep the board's full unique ID in the report (shortened otherwise, for sharing)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --report file (never an input, a backup or a board's flash.bin)")


def _debug_parent() -> argparse.ArgumentParser:
    """--debug after the subcommand too (`vescdoctor diagnose --debug`). SUPPRESS: a subcommand that is not given
    it leaves the value the main parser set (False, or True from `vescdoctor --debug diagnose`)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks and pyOCD's log")
    _add_verbosity(parent, argparse.SUPPRESS)
    return parent


def _add_verbosity(p: argparse.ArgumentParser, default) -> None:
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("--verbose", "-v", action="store_true", default=default,
                      help="say more: vescdoctor's log of each step (retries, why a step failed) on stderr")
    loud.add_argument("--quiet", "-q", action="store_true", default=default,
                      help="say less: no transcript and no progress bars, only phases, results and errors")


def _command(subparsers, name: str, **kwargs) -> argparse.ArgumentParser:
    """A subcommand parser (nested ones too: `rules check --debug`) that accepts --debug."""
    return subparsers.add_parser(name, parents=[_debug_parent()], **kwargs)


def _add_mirror(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mirror", metavar="BASE", help="fetch catalog URLs with https://raw.githubusercontent.com/ "
                   "replaced by BASE (an http(s) URL or a folder); default: $VESCDOCTOR_MIRROR")
    p.add_argument("--offline", action="store_true", help="never download: use the cache (or --from) only")


def _add_firmware(sub) -> None:
    fw = _command(sub, "firmware", help="the catalog of official images: list them, get the right one",
                  description="Every official VESC firmware release (3.30 onwards) and bootloader for STM32F4 "
                              "hardware, and the right one for a board, checked against the catalog's sha256.")
    fw_sub = fw.add_subparsers(dest="firmware_command", metavar="SUBCOMMAND", required=True)
    p = _command(fw_sub, "list", help="the catalog (for one HW with --hw)")
    p.add_argument("--hw", metavar="HW", help="only the images for this HW name (as the board reports it)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p = _command(fw_sub, "get", help="the image for a board: from the cache, --from DIR, or downloaded")
    p.add_argument("--hw", metavar="HW", required=True, help="the HW name the board reports (410, 60, 75_300 ...)")
    p.add_argument("--version", metavar="V", help="this release (default: the newest)")
    p.add_argument("--bootloader", action="store_true", help="the bootloader for the HW instead of firmware")
    p.add_argument("--dest", metavar="DIR", help="copy the checked file into DIR (default: it stays in the cache)")
    p.add_argument("--from", dest="from_dir", metavar="DIR",
                   help="take it from a local vesc_fw_archive or vesc_tool checkout instead of downloading")
    _add_mirror(p)
    p.add_argument("--json", action="store_true", help="print one JSON document")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vescdoctor",
        description="Diagnose and repair VESC motor controllers (STM32F405): USB, the VESC protocol and SWD.",
        epilog="With no command: the guided triage in the terminal (TUI). Exit codes: 0 healthy/done, 1 problem "
               "found or fix incomplete, 2 bad input, 3 inconclusive (chip not reachable).")
    parser.add_argument("--version", action="version", version=f"vescdoctor {__version__}")
    # Before a command they apply to it (`vescdoctor --sim B diagnose`), as after it; main() merges them.
    parser.add_argument("--sim", dest="global_sim", metavar="BOARD",
                        help="use a simulated board directory (the TUI, or the command that follows)")
    parser.add_argument("--probe", dest="global_probe", metavar="UID",
                        help="the debug probe to use when several are connected (the TUI, or the command that follows)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and pyOCD's log")
    _add_verbosity(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    _command(sub, "demo", help="the TUI on a fresh copy of the built-in bricked board: no hardware needed",
                   description="Copy the built-in bricked board into a temporary directory and run the TUI on it.")

    _add_diagnose_and_fix(sub)
    _add_image_and_backup_commands(sub)
    _add_offline_commands(sub)
    _add_rider_help_commands(sub)
    return parser


def _add_diagnose_and_fix(sub) -> None:
    """`diagnose` and `fix`: the commands that walk the graph on a board."""
    p = _command(sub, "diagnose", help="diagnose the board without the TUI",
                       description="Walk the decision graph non-interactively: probes run, questions are taken "
                                   "from --answer (or, on a simulated board, from the board's owner).")
    _add_sim(p)
    p.add_argument("--answer", action="append", default=[], metavar="ID=CODE",
                   help="answer a question (led, hw, symptom, ...); repeatable")
    _add_report(p)

    p = _command(sub, "fix", help="diagnose, then apply the fix plan of the verdict",
                       description="Diagnose, back up, then run the verdict's fix plan with consent.")
    _add_sim(p)
    p.add_argument("--answer", action="append", default=[], metavar="ID=CODE", help="answer a question; repeatable")
    p.add_argument("--bootloader", metavar="FILE", help="bootloader image to write to sector 11 (0x080E0000)")
    p.add_argument("--firmware", metavar="FILE", help="firmware image to write at 0x08000000")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep-config", dest="keep_config", action="store_true", default=True,
                      help="leave the config sectors 1-2 as they are (default)")
    keep.add_argument("--no-keep-config", dest="keep_config", action="store_false",
                      help="let the firmware image overwrite the config sectors 1-2")
    p.add_argument("--erase-all", action="store_true",
                   help="after the backup, erase the whole chip, then write bootloader and firmware; the "
                        "configuration comes back from the backup unless --no-keep-config (not needed to repair)")
    p.add_argument("--yes", action="store_true", help="consent to the destructive steps without asking")
    p.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    p.add_argument("--backup-dir", metavar="DIR", help="where backups go (default: the user data directory)")
    p.add_argument("--via", choices=("swd", "usb"), default=None,
                   help="repair through a debug probe (swd) or over the VESC protocol (usb, while the firmware "
                        "runs); default: usb when no probe is connected and the firmware answers")
    p.add_argument("--firmware-version", metavar="V", help="without --firmware: this release from the catalog "
                   "(default: the newest for the board's HW)")
    _add_mirror(p)
    _add_report(p)


def _add_image_and_backup_commands(sub) -> None:
    """`inspect` an image; `backup` and `restore` a board's flash."""
    p = _command(sub, "inspect", help="what an image file is (.bin, .hex, .elf)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON document")

    _add_firmware(sub)

    p = _command(sub, "backup", help="save the whole flash and option bytes")
    _add_sim(p)
    p.add_argument("out", metavar="OUT", help="the backup file (.bin; a .json sidecar is written beside it)")

    p = _command(sub, "restore", help="write a backup back to the board")
    _add_sim(p)
    p.add_argument("backup", metavar="BACKUP")
    p.add_argument("--config-only", action="store_true", help="restore only the config sectors 1-2")
    p.add_argument("--yes", action="store_true", help="consent to erasing what the restore overwrites")
    p.add_argument("--backup-dir", metavar="DIR",
                   help="where the safety backup of the flash as it is now goes (default: the user data directory)")


def _add_rider_help_commands(sub) -> None:
    """`wiring`, `serve` (remote help in a browser) and `completion`: help around the repair itself."""
    p = _command(sub, "wiring", help="how to wire a debug probe to the VESC's SWD header, with the safety rules",
                 description="The VESC's SWD header pin by pin for a debug probe, a drawing of the probe's "
                             "connector, how to find pin 1, and the safety rules.")
    p.add_argument("--probe", dest="probe_kind", choices=("stlink-v2", "stlink-v2-clone", "stlink-v3", "cmsis-dap"),
                   help="the probe you have (default: all of them)")
    p.add_argument("--json", action="store_true", help="the pinouts as one JSON document")

    p = _command(sub, "serve", help="the TUI in a web browser (remote help without SSH)",
                 description="Serve the TUI as a web page (textual-serve): each page opened starts its own TUI on "
                             "this computer. Loopback only unless --host names another address and --allow-remote "
                             "confirms it. Needs the [serve] extra.")
    _add_sim(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: 127.0.0.1, this computer only)")
    p.add_argument("--port", type=int, default=8000, help="the port to listen on (default: 8000)")
    p.add_argument("--allow-remote", action="store_true",
                   help="confirm a --host other than loopback: anyone who reaches the port can repair (erase and "
                        "write) the board")
    p.add_argument("--public-url", metavar="URL",
                   help="the address the browser uses, when it differs (a tunnel's https URL)")

    p = _command(sub, "completion", help="the shell completion script (bash, zsh, tcsh, fish, powershell)",
                 description="Print the completion script for SHELL; e.g. bash: vescdoctor completion bash > "
                             "~/.local/share/bash-completion/completions/vescdoctor")
    p.add_argument("shell", metavar="SHELL", choices=("bash", "zsh", "tcsh", "fish", "powershell"))


def _add_offline_commands(sub) -> None:
    """`rules`, `report`, `replay` and `sim`: no board needed."""
    rules = _command(sub, "rules", help="the decision graph: check it, draw it")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    p = _command(rules_sub, "check", help="validate a decision graph (default: the built-in one)")
    p.add_argument("path", nargs="?", metavar="PATH", help="a graph file or a directory of them")
    p = _command(rules_sub, "show", help="draw the graph")
    p.add_argument("path", nargs="?", metavar="PATH", help="a graph file or a directory of them")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")

    report = _command(sub, "report", help="reports: render them")
    report_sub = report.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    p = _command(report_sub, "show", help="a report as Markdown (or a self-contained HTML page)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("markdown", "html"), default="markdown")
    p.add_argument("--summary", action="store_true",
                   help="a short paste-ready summary (verdict, board, what was done, what is left), under 40 lines")
    p.add_argument("--output", "-o", metavar="OUT", help="write to OUT instead of stdout")
    p.add_argument("--force", action="store_true",
                   help="replace an existing OUT (never the report itself, a backup or a board's flash.bin)")

    p = _command(sub, "replay", help="walk the current graph again with the facts recorded in a report")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--rules", metavar="PATH", help="walk this graph (file or directory) instead of the built-in one")

    p = _command(sub, "doctor", help="this computer, checked for a repair (USB, probes, drivers, ports, space)",
                 description="Check this computer: USB access, debug probes and their firmware, serial ports, "
                             "drivers (Windows), udev rules and ModemManager (Linux), space for backups. One line "
                             "per check with what fixes it. Exit 0 when no check fails, 1 otherwise.")
    p.add_argument("--json", action="store_true", help="print the checks as one JSON document")
    p.add_argument("--udev-rules", action="store_true",
                   help="print Linux udev rules for ST-Link, CMSIS-DAP and the VESC (how to install them is inside)")

    sim = _command(sub, "sim", help="the virtual bench: simulated boards")
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)
    p = _command(sim_sub, "create", help="make a board directory from a scenario file or built-in name")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("board", metavar="BOARD")
    p.add_argument("--force", action="store_true", help="replace an existing board directory")
    _command(sim_sub, "list", help="the built-in scenarios")


# command -> module in vescdoctor.commands
_COMMANDS = {None: "tui", "demo": "tui", "diagnose": "diagnose", "fix": "fix", "inspect": "inspect",
             "backup": "backup", "restore": "restore", "rules": "rules", "report": "report", "replay": "replay",
             "sim": "sim", "wiring": "wiring", "serve": "serve", "doctor": "doctor", "firmware": "firmware"}


# the commands that take --sim and --probe (None: the TUI)
_BOARD_COMMANDS = (None, "diagnose", "fix", "backup", "restore", "serve")


def _merge_board_options(args: argparse.Namespace) -> None:
    """`vescdoctor --sim B CMD` means `vescdoctor CMD --sim B`. A board option that the command does not take, or two
    different values, is bad input: never drop it and go on with real hardware."""
    from .errors import InputError

    for name in ("sim", "probe"):
        before = getattr(args, f"global_{name}")
        if before is None:
            setattr(args, name, getattr(args, name, None))
            continue
        if args.command == "demo":
            raise InputError(f"--{name} does not go with `demo`: the demo makes its own simulated board (for the "
                             "TUI on a board of yours: vescdoctor --sim BOARD)")
        if args.command not in _BOARD_COMMANDS:
            raise InputError(f"--{name} goes with the TUI, diagnose, fix, backup, restore or serve, not with "
                             f"`{args.command}`")
        after = getattr(args, name, None)
        if after is not None and after != before:
            raise InputError(f"--{name} given twice with different values ({before} and {after})")
        setattr(args, name, before)


def _debug_log(command: str | None) -> None:
    """--debug: vescdoctor's own log (steps retried, why a step failed, with its traceback) and pyOCD's, on stderr;
    for the TUI in a file instead (stderr would draw over the screen), named on stderr before it starts."""
    import logging

    if command in (None, "demo"):
        from pathlib import Path

        from platformdirs import user_log_dir

        path = Path(user_log_dir("vescdoctor")) / "debug.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
        print(f"vescdoctor: --debug: the log goes to {path}", file=sys.stderr)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(relativeCreated)7.0f ms %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("vescdoctor").setLevel(logging.DEBUG)
    logging.getLogger("pyocd").setLevel(logging.INFO)


# Arguments that name a file or a folder (by metavar): the shell's own file/folder completion for them.
_FILE_METAVARS, _DIR_METAVARS = {"FILE", "OUT", "BACKUP", "PATH", "SCENARIO"}, {"BOARD", "DIR"}


def completion_script(shell: str) -> str:
    """`vescdoctor completion SHELL`: the completion script shtab derives from this parser (here, not in
    commands/: it is the parser's own description)."""
    import shtab

    parser = build_parser()

    def mark(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in set(action.choices.values()):
                    mark(sub)
            elif action.metavar in _FILE_METAVARS:
                action.complete = shtab.FILE  # type: ignore[attr-defined]
            elif action.metavar in _DIR_METAVARS:
                action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]

    mark(parser)
    return shtab.complete(parser, shell=shell)


def _verbose_log(on: bool) -> None:
    """--verbose: vescdoctor's own log (not pyOCD's, no tracebacks) on stderr: sys.stderr as it is when a line is
    written. main() may run again in one process (tests): a run without --verbose removes what one with it added."""
    import logging

    class StderrHandler(logging.StreamHandler):
        @property
        def stream(self):
            return sys.stderr

        @stream.setter
        def stream(self, _value) -> None:
            pass

    logger = logging.getLogger("vescdoctor")
    for old in [h for h in logger.handlers if hasattr(h, "level_before")]:
        logger.removeHandler(old)
        logger.setLevel(getattr(old, "level_before", logging.NOTSET))
    if not on:
        return
    handler = StderrHandler()
    handler.level_before = logger.level  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("vescdoctor: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .errors import InputError, VescDoctorError
    from .fileguard import new_run

    new_run()
    try:
        _merge_board_options(args)
        if args.verbose and args.quiet:
            raise InputError("--verbose and --quiet together: choose one")
        if args.debug:
            _debug_log(args.command)
        else:
            _verbose_log(bool(args.verbose) and args.command not in (None, "demo", "serve"))
        if args.command == "completion":
            sys.stdout.write(completion_script(args.shell))
            return ExitCode.OK
        module = importlib.import_module(f".commands.{_COMMANDS[args.command]}", __package__)
        return int(module.run(args) or 0)
    except VescDoctorError as exc:
        from .commands.wording import error_text
        from .textsafe import escaped  # a message may quote a file's text: nothing in it acts on the terminal

        print(f"vescdoctor: {escaped(error_text(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from .fileguard import backups_made

        saved = f"; the flash as it was is backed up in {backups_made[0]}" if backups_made else ""
        again = "; run the same command again to finish" if args.command in ("fix", "restore") else ""
        print(f"vescdoctor: interrupted{saved}{again}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line unless --debug
        if args.debug:
            raise
        print(f"vescdoctor: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return ExitCode.PROBLEM
