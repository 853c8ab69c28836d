"""`vescdoctor`, `vescdoctor --sim BOARD` and `vescdoctor demo`: the guided triage and repair in the terminal."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DEMO_SCENARIO = "bricked-update"


def make_demo(root: str | Path, *, firmware_size: str = "release5") -> dict[str, Path]:
    """A fresh copy of the built-in bricked board in `root`, with a bootloader and a firmware image beside it."""
    from ..sim import imagegen
    from ..sim.scenario import build_board, find_scenario

    root = Path(root)
    scenario = find_scenario(DEMO_SCENARIO)
    board = root / DEMO_SCENARIO
    build_board(scenario, board, force=True)
    hw = str(getattr(scenario.config, "hw", None) or "410")
    bootloader = root / "demo-bootloader.bin"
    bootloader.write_bytes(imagegen.bootloader())
    firmware = root / f"demo-firmware-{hw}-5.03.bin"
    firmware.write_bytes(imagegen.firmware(hw=hw, version="5.03", size=firmware_size))
    return {"board": board, "bootloader": bootloader, "firmware": firmware,
            "backups": root / "backups", "report": root / "report.json"}


def demo_again(demo: dict[str, Path]) -> str:
    """The command that goes on with the demo's own board (its copy stays in the temporary directory) and images:
    the CLI's fix (the TUI on `--sim BOARD` would not have the demo's images in its fields)."""
    from .common import fix_command

    return fix_command(sim=demo["board"], bootloader=demo["bootloader"], firmware=demo["firmware"],
                       backup_dir=demo["backups"])


def tui_again(sim: str | None, probe: str | None) -> str | None:
    """The command that opens the TUI on the same board again, when a plain `vescdoctor` would not (a simulated
    board, a chosen probe); None for the one real probe."""
    import os
    import shlex
    import subprocess

    argv = ["vescdoctor"] + (["--sim", str(sim)] if sim else []) + (["--probe", probe] if probe else [])
    if len(argv) == 1:
        return None
    return subprocess.list2cmdline(argv) if os.name == "nt" else shlex.join(argv)


def run(args) -> int:
    from ..errors import InputError
    from ..tui.app import VescDoctorApp

    if args.command == "demo":
        root = Path(tempfile.mkdtemp(prefix="vescdoctor-demo-"))
        demo = make_demo(root)
        app = VescDoctorApp(board_dir=demo["board"], bootloader=demo["bootloader"], firmware=demo["firmware"],
                            backup_dir=demo["backups"], report_path=demo["report"], board_label=DEMO_SCENARIO)
        app.again_command = demo_again(demo)
    else:
        if args.sim and not Path(args.sim).is_dir():
            raise InputError(f"--sim {args.sim}: no such board directory (make one with `vescdoctor sim create`)")
        app = VescDoctorApp(board_dir=args.sim, probe_uid=getattr(args, "probe", None))
        app.again_command = tui_again(args.sim, getattr(args, "probe", None))
        demo = None
    from ..boardlock import board_lock

    with board_lock(sim=str(demo["board"]) if demo else args.sim, probe=getattr(args, "probe", None),
                    command=args.command or "tui"):  # the TUI holds its board for as long as it runs
        code = app.run()
    summary = app.repair_summary()  # in the board's own words: the demo's command where "run vescdoctor again"
    if summary:
        print(f"vescdoctor: {summary}", file=sys.stderr)
    if demo is not None:
        if app.report_written is None:
            try:
                app.save_report()
            except Exception as exc:  # the report is a convenience here; say why it is missing
                print(f"vescdoctor: report not written: {exc}", file=sys.stderr)
        print(f"demo board: {demo['board']}")
        if app.report_written is not None:
            print(f"report: {app.report_written}")
    elif app.report_written is not None:
        print(f"report: {app.report_written}")
    return int(code or 0)
