"""The bench as a process sees it: a board directory deleted while the bench holds it is one line at exit."""
from __future__ import annotations

import subprocess
import sys

from board_support import make


def test_board_directory_deleted_mid_run_is_one_line_at_exit(tmp_path):
    board = make(tmp_path, "healthy")
    code = ("import shutil, sys, weakref\n"
            "from vescdoctor.sim.bench import Bench\n"
            "bench = Bench.acquire(sys.argv[1])\n"
            "holder = type('Holder', (), {})()\n"
            "weakref.finalize(holder, bench.release)  # as the bench's pyOCD probe releases it\n"
            "shutil.rmtree(sys.argv[1])\n"
            "print('Fix done', file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(board)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["Fix done", f"vescdoctor: {board}: board directory gone: state not "
                                                            "saved"]
