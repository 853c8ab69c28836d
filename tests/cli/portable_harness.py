"""Run vescdoctor's CLI flow in this interpreter as on another OS (used by test_portable.py in a child process).

    python portable_harness.py PLATFORM WORKDIR      -> one JSON document: [{argv, code, out, err}, ...]
    python portable_harness.py PLATFORM --self-test  -> proves the blocking works

The Unix-only modules (grp, pwd, fcntl, termios, tty, pty) are made unavailable to vescdoctor's own code, as they are
on Windows: a meta-path finder refuses them to any import made from a vescdoctor module. Third-party libraries keep
them (pyserial, pyOCD and pyusb pick their Windows backends on Windows; here they run their POSIX ones) and are
imported first. Then sys.platform is set to PLATFORM (win32, darwin, linux) for every branch that reads it.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import io
import json
import sys

BLOCKED = ("grp", "pwd", "fcntl", "termios", "tty", "pty")


class UnixOnlyBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name not in BLOCKED:
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith(("importlib", "_frozen_importlib")):
            frame = frame.f_back
        if frame is not None and frame.f_globals.get("__name__", "").startswith("vescdoctor"):
            raise ModuleNotFoundError(f"No module named {name!r} (unavailable, as on Windows)", name=name)
        return None


def install(platform: str) -> None:
    # What the flow's libraries load on this POSIX machine, loaded before the block (on Windows they load others).
    import platformdirs  # noqa: F401  (it picks its Windows or macOS class by sys.platform when imported)
    import serial  # noqa: F401
    import serial.tools.list_ports  # noqa: F401
    import serial.urlhandler.protocol_socket  # noqa: F401
    import usb.backend.libusb1  # noqa: F401
    import usb.core  # noqa: F401

    assert not any(m == "vescdoctor" or m.startswith("vescdoctor.") for m in sys.modules)
    for name in BLOCKED:
        sys.modules.pop(name, None)  # the libraries keep their references; a new import comes to the finder
    sys.meta_path.insert(0, UnixOnlyBlocker())
    import pyocd.core.helpers  # noqa: F401  (loads the bench's pyOCD plugin: vescdoctor code, so after the block)
    import pyocd.probe.aggregator  # noqa: F401

    sys.platform = platform


def self_test() -> int:
    code = compile("import grp", "<vescdoctor.fake>", "exec")
    try:
        exec(code, {"__name__": "vescdoctor.fake"})
    except ModuleNotFoundError:
        return 0
    return 1


def run(argv: list[str]) -> dict:
    from vescdoctor.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
    return {"argv": argv, "code": code, "out": out.getvalue(), "err": err.getvalue()}


def flow(work: str) -> list[dict]:
    from vescdoctor.sim import imagegen

    board, busy = f"{work}/board", f"{work}/busy"
    with open(f"{work}/bl.bin", "wb") as f:
        f.write(imagegen.bootloader())
    with open(f"{work}/fw.bin", "wb") as f:
        f.write(imagegen.firmware("410", "5.03", "release5"))
    steps = [
        ["rules", "check"],
        ["sim", "create", "bricked-update", board],
        ["diagnose", "--sim", board, "--json", "--report", f"{work}/report.json"],
        ["backup", "--sim", board, f"{work}/before.bin"],
        ["fix", "--sim", board, "--bootloader", f"{work}/bl.bin", "--firmware", f"{work}/fw.bin", "--backup-dir",
         f"{work}/backups", "--yes"],
        ["diagnose", "--sim", board, "--json"],
        ["restore", "--sim", board, f"{work}/before.bin", "--config-only", "--yes", "--backup-dir", f"{work}/backups"],
        ["report", "show", f"{work}/report.json"],
        ["replay", f"{work}/report.json", "--json"],
        ["inspect", f"{work}/fw.bin", "--json"],
        ["doctor", "--json"],
        ["doctor", "--udev-rules"],
        ["sim", "create", "port-busy", busy],
        ["diagnose", "--sim", busy, "--json"],
    ]
    return [run(argv) for argv in steps]


if __name__ == "__main__":
    install(sys.argv[1])
    if sys.argv[2] == "--self-test":
        sys.exit(self_test())
    json.dump(flow(sys.argv[2]), sys.__stdout__)
