"""SWD cost of one run on a simulated board, in this process: `python bench/fix_cost.py BOARD [vescdoctor args...]`.

Holds the board's Bench open around one `vescdoctor ARGS --sim BOARD --json` run (default: `diagnose`) in this
process and counts what crossed the debug port: bytes read and written by the debugger (the chip's debug_read and
debug_write), split into flash and RAM, and the USB transfers. Prints one JSON line. A measuring tool only; the
modelled time is the bench's own (docs/bench.md)."""
from __future__ import annotations

import contextlib
import io
import json
import sys
from collections import Counter


def main(board: str, args: list[str]) -> int:
    from vescdoctor.cli import main as cli_main
    from vescdoctor.sim.bench import Bench

    bench = Bench.acquire(board)
    counts: Counter[str] = Counter()
    chip = bench.chip
    read, write = chip.debug_read, chip.debug_write

    def counting_read(addr: int, nbytes: int, size: int) -> bytes:
        counts["flash_read" if 0x08000000 <= addr < 0x08100000 else "other_read"] += nbytes
        return read(addr, nbytes, size)

    def counting_write(addr: int, data: bytes, size: int) -> None:
        counts["flash_write" if 0x08000000 <= addr < 0x08100000 else "other_write"] += len(data)
        return write(addr, data, size)

    chip.debug_read, chip.debug_write = counting_read, counting_write
    try:
        before = dict(bench.usb_backend.transfers)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli_main([*(args or ["diagnose"]), "--sim", board, "--json"])
        usb = {k: bench.usb_backend.transfers[k] - before.get(k, 0) for k in ("bulk_out", "bulk_in", "control")}
    finally:
        chip.debug_read, chip.debug_write = read, write
        bench.release()
    try:
        report = json.loads(out.getvalue())
    except ValueError:
        report = {}
    after = (report.get("after") or {}).get("verdict") if isinstance(report.get("after"), dict) else None
    print(json.dumps({"exit": code, "swd": dict(counts), "usb": usb, "usb_total": sum(usb.values()),
                      "verdict": (report.get("verdict") or {}).get("code"), "after": after}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit("usage: python bench/fix_cost.py BOARD [vescdoctor args...]  (BOARD: a `vescdoctor sim create` "
                 "directory; args default to `diagnose`)")
    from vescdoctor.errors import VescDoctorError

    try:
        sys.exit(main(sys.argv[1], sys.argv[2:]))
    except VescDoctorError as exc:  # not a board directory, a bad board.yaml: one line
        sys.exit(f"fix_cost.py: {exc}")
