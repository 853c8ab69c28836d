"""Diagnosis cost on a simulated board, in this process: `python bench/diag_cost.py BOARD`.

Holds the board's Bench open around one `vescdoctor diagnose --sim BOARD --json` run in this process (the Bench is one
per board directory per process, so the diagnosis talks to the same simulated USB backend), then prints one JSON line:
the USB transfers the backend counted (bulk out/in, control), the report's `flash.bytes_read` and the verdict.
"""
from __future__ import annotations

import contextlib
import io
import json
import sys


def main(board: str) -> int:
    from vescdoctor.cli import main as cli_main
    from vescdoctor.sim.bench import Bench

    bench = Bench.acquire(board)
    try:
        before = dict(bench.usb_backend.transfers)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli_main(["diagnose", "--sim", board, "--json"])
        counted = {k: bench.usb_backend.transfers[k] - before.get(k, 0) for k in ("bulk_out", "bulk_in", "control")}
    finally:
        bench.release()
    report = json.loads(out.getvalue())
    print(json.dumps({"exit": code, "usb": counted, "usb_total": sum(counted.values()),
                      "flash_bytes_read": (report.get("facts") or {}).get("flash.bytes_read"),
                      "verdict": (report.get("verdict") or {}).get("code"), "bench": report.get("bench") or {}}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit("usage: python bench/diag_cost.py BOARD  (BOARD: a `vescdoctor sim create` directory)")
    from vescdoctor.errors import VescDoctorError

    try:
        sys.exit(main(sys.argv[1]))
    except VescDoctorError as exc:  # not a board directory, a bad board.yaml: one line
        sys.exit(f"diag_cost.py: {exc}")
