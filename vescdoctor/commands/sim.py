"""`vescdoctor sim create SCENARIO BOARD [--force]` and `vescdoctor sim list`: simulated boards from scenarios."""
from __future__ import annotations

import shutil
import textwrap

from ..sim.boot import evaluate
from ..sim.scenario import build_board, builtin_scenarios, find_scenario


def run(args) -> int:
    if args.sim_command == "list":
        return _list()
    return _create(args.scenario, args.board, args.force)


def _list() -> int:
    scenarios = builtin_scenarios()
    width = max(len(s.name) for s in scenarios)
    wrap = max(40, shutil.get_terminal_size((100, 20)).columns - width - 4)
    for scenario in scenarios:
        lines = textwrap.wrap(scenario.description, wrap) or [""]
        print(f"{scenario.name:<{width}}  {lines[0]}")
        for line in lines[1:]:
            print(f"{'':<{width}}  {line}")
    return 0


def _create(name_or_path: str, board_dir: str, force: bool) -> int:
    scenario = find_scenario(name_or_path)
    board = build_board(scenario, board_dir, force=force)
    state = evaluate(board)
    source = "built-in scenario" if scenario.builtin else f"scenario {scenario.path}"
    print(f"made board {board.path} from {source} {scenario.name!r}")
    for op in scenario.flash:
        print(f"  0x{op.at:08X}  {op.describe}")
    if scenario.boot:
        print("  booted once (first-boot effects applied)")
    for op in scenario.after_boot:
        print(f"  0x{op.at:08X}  {op.describe} (after boot)")
    config = board.config
    print(f"  hw {config.hw}, power {config.power}, swd {config.swd}, probe {config.probe}, usb {config.usb}, "
          f"host {config.host}, boot0 {config.boot0}")
    print(f"  now: {state.running}, LEDs {state.led}: {state.reason}")
    if scenario.expect:
        print(f"  a correct diagnosis concludes: {scenario.expect.verdict} "
              f"(findings: {', '.join(scenario.expect.findings)})")
    return 0
