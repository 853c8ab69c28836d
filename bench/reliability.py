"""The reliability matrix of issue 12, "Nothing lost, whatever the input": every fault the virtual bench can inject
(vescdoctor/sim/faults.py, board.md "faults"), hostile inputs, consent and concurrency, each checked for the same
promise: the backup equals the flash before, the next run ends healthy, the configuration (sectors 1-2) and the
bootloader are kept, and every refusal is one clear line.

    python bench/reliability.py                # the full matrix (several minutes), a table and the figures
    python bench/reliability.py --quick        # one case of each family (what tests/test_reliability.py runs)
    python bench/reliability.py --only unplug  # one family: unplug, power, option-bytes, flaky-swd, stuck-bits,
                                               # double, hostile, consent, concurrency
Exit 0 when every case held. Cases run in process through the CLI (vescdoctor.cli.main) except the concurrency
ones, which need two processes. Results: docs/reliability.md.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vescdoctor.cli import main as cli
from vescdoctor.sim import imagegen
from vescdoctor.sim.scenario import build_board, find_scenario

BASE, BOOT = 0x08000000, 0x080E0000
CONFIG = slice(0x4000, 0xC000)
BOOTLOADER = slice(BOOT - BASE, None)
HW = ("--answer", "hw=410")
ESC = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Case:
    family: str
    name: str
    run: Callable[[Lab], str]  # returns a short note; raises AssertionError when something was lost
    quick: bool = False


@dataclass
class Result:
    case: Case
    ok: bool
    note: str
    seconds: float


@dataclass
class Lab:
    """A scratch directory with the images the fixes write."""
    root: Path
    images: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, data in (("bl", imagegen.bootloader()), ("fw", imagegen.firmware("410", "5.03", "release5")),
                           ("fw2", imagegen.firmware("410", "5.03", "release5", seed=7))):
            self.images[name] = self.root / f"{name}.bin"
            self.images[name].write_bytes(data)

    def board(self, scenario: str, name: str, faults: dict | None = None, probe: str | None = None) -> Path:
        path = self.root / name
        shutil.rmtree(path, ignore_errors=True)
        build_board(find_scenario(scenario), path)
        set_board(path, faults=faults or {}, probe=probe)
        return path


def set_board(board: Path, *, faults: dict | None = None, probe: str | None = None, power: str | None = None) -> None:
    """Edit board.yaml as a person at the bench would: faults, the probe, the power switch."""
    text = (board / "board.yaml").read_text()
    if faults is not None:
        import yaml  # it writes 3e-05 as 3.0e-05, which YAML reads back as a number

        text = re.sub(r"(?m)^faults:.*(\n  .*)*", "faults: " + yaml.safe_dump(faults, default_flow_style=True).strip(),
                      text)
    if probe is not None:
        text = re.sub(r"(?m)^probe: .*", f"probe: {probe}", text)
    if power is not None:
        text = re.sub(r"(?m)^power: .*", f"power: '{power}'", text)
    (board / "board.yaml").write_text(text)


def run(*argv: str) -> tuple[int, str, str]:
    """The CLI in process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli(list(argv))
    return code, out.getvalue(), err.getvalue()


def flash(board: Path) -> bytes:
    return (board / "flash.bin").read_bytes()


def backups(directory: Path) -> list[Path]:
    from vescdoctor.fixes.backup import chronological

    return chronological(directory.glob("vesc-*.bin")) if directory.is_dir() else []


def verdict(board: Path) -> str:
    code, out, err = run("diagnose", "--sim", str(board), "--json", *HW)
    assert out, err
    return json.loads(out)["verdict"]["code"]


def fix(lab: Lab, board: Path, *extra: str) -> tuple[int, str]:
    code, _, err = run("fix", "--sim", str(board), "--backup-dir", str(board.parent / f"{board.name}-bk"),
                       "--yes", *HW, *extra)
    return code, err


def nothing_lost(lab: Lab, board: Path, before: bytes, *, bootloader: bytes | None,
                 images: tuple[str, ...] = ("--firmware",)) -> str:
    """After a faulty run: power back on, faults gone, run the fix again; it must end healthy, the first backup
    must be the flash as it was, the config kept, the bootloader the one that was there (or the one given)."""
    set_board(board, faults={}, power="on")
    args = [a for flag in images for a in (flag, str(lab.images["fw" if flag == "--firmware" else "bl"]))]
    code, err = fix(lab, board, *args)
    assert code == 0, f"the next run did not finish (exit {code}): {err.strip().splitlines()[-1:]}"
    made = backups(board.parent / f"{board.name}-bk")
    assert made and made[0].read_bytes() == before, "the first backup is not the flash as it was before"
    now = flash(board)
    assert now[CONFIG] == before[CONFIG], "the configuration (sectors 1-2) changed"
    expected = bootloader if bootloader is not None else before[BOOTLOADER][:len(lab.images["bl"].read_bytes())]
    assert now[BOOTLOADER][:len(expected)] == expected, "the bootloader is not the one expected"
    assert verdict(board) == "healthy", "the board is not healthy after the next run"
    return f"then healthy; {len(made)} backup(s), the first = the flash before"


# ---------------------------------------------------------------- fault families
def forum_fault_case(fault: str, value: int, label: str) -> Callable[[Lab], str]:
    """The forum case fixed once under one injected fault (probe unplug, power loss), then checked: nothing lost."""
    def go(lab: Lab) -> str:
        board = lab.board("bricked-update", f"{label}-{value}", {fault: value})
        before = flash(board)
        code, err = fix(lab, board, "--bootloader", str(lab.images["bl"]), "--firmware", str(lab.images["fw"]))
        assert code in (0, 1, 3) and "internal error" not in err, err[-300:]
        note = nothing_lost(lab, board, before, bootloader=lab.images["bl"].read_bytes(),
                            images=("--bootloader", "--firmware"))
        return f"first run exit {code}; {note}"
    return go


def option_bytes_case(scenario: str, faults: dict) -> Callable[[Lab], str]:
    """RDP regression (read-protected: no backup possible, the plan says so) and nWRP clearing, interrupted."""
    def go(lab: Lab) -> str:
        board = lab.board(scenario, f"ob-{scenario}-{'-'.join(map(str, faults.values()))}", faults)
        extra = ("--bootloader", str(lab.images["bl"]), "--firmware", str(lab.images["fw"]))
        code, err = fix(lab, board, *extra)
        assert "internal error" not in err, err[-300:]
        set_board(board, faults={}, power="on")
        code2, err2 = fix(lab, board, *extra)
        assert code2 == 0, f"the next run did not finish (exit {code2}): {err2.strip().splitlines()[-1:]}"
        assert verdict(board) == "healthy"
        if scenario == "read-protected":
            assert "no backup is possible" in err.lower() or "no backup possible" in err, "the warning step"
        return f"first run exit {code}; then healthy"
    return go


def flaky_case(rate: float, probe: str) -> Callable[[Lab], str]:
    def go(lab: Lab) -> str:
        board = lab.board("app-erased", f"flaky-{probe}-{rate}", {"swd_error_rate": rate}, probe=probe)
        before = flash(board)
        code, err = fix(lab, board, "--firmware", str(lab.images["fw"]))
        assert "internal error" not in err, err[-300:]
        if code == 3:  # the diagnosis itself could not read the chip: it says so and writes nothing
            unchanged = flash(board) == before and not backups(board.parent / f"{board.name}-bk")
            assert unchanged, "changed while inconclusive"
            return f"inconclusive (exit 3), nothing written; {nothing_lost(lab, board, before, bootloader=None)}"
        if code != 0:  # it must say it gave up, and the next run (a better wire) finishes
            assert "gave up" in err or "stopped answering" in err or "not working" in err, err[-300:]
            return f"gave up, saying so; {nothing_lost(lab, board, before, bootloader=None)}"
        made = backups(board.parent / f"{board.name}-bk")
        assert made[0].read_bytes() == before and flash(board)[CONFIG] == before[CONFIG]
        set_board(board, faults={})
        assert verdict(board) == "healthy"
        return "done in one run, healthy"
    return go


def stuck_case(offset: int, value: int) -> Callable[[Lab], str]:
    """A flash cell that always reads `value`: the write cannot verify; the fix must fail clearly, with no runnable
    vector table in front of code that is not the image, the backup intact."""
    def go(lab: Lab) -> str:
        addr = BASE + offset
        board = lab.board("app-erased", f"stuck-{offset:x}", {"stuck_bits": [{"addr": addr, "value": value}]})
        before = flash(board)
        code, err = fix(lab, board, "--firmware", str(lab.images["fw"]))
        assert "internal error" not in err, err[-300:]
        image = lab.images["fw"].read_bytes()
        in_image = offset < len(image) and not 0x4000 <= offset < 0xC000 and image[offset] & value != image[offset]
        made = backups(board.parent / f"{board.name}-bk")
        seen = bytearray(before)
        seen[offset] = value  # the chip reads the stuck cell as it holds it (the bench may apply it to flash.bin later)
        assert made and made[0].read_bytes() in (before, bytes(seen)), "the backup is not the flash before"
        now = bytearray(flash(board))
        now[offset] = before[offset]
        assert now[CONFIG] == before[CONFIG] and now[BOOTLOADER] == before[BOOTLOADER]
        if in_image:
            # caught by the verify, or (a cell left erased in the image, never programmed) by the fresh look
            caught = "verify failed" in err or "a fresh diagnosis says" in err
            assert code == 1 and caught, f"exit {code}: {err[-200:]}"
            v = verdict(board)
            assert v != "healthy", "a board with a wrong byte under its image was called healthy"
            how = "at verify" if "verify failed" in err else "by the fresh look"
            return f"refused {how} (exit 1), next diagnosis {v}"
        assert code == 0, err[-300:]
        return "cell not used by the image: done"
    return go


def double_case(first: dict, second: dict) -> Callable[[Lab], str]:
    """Two faults in a row: the first run cut, the second run cut again, the third finishes."""
    def go(lab: Lab) -> str:
        name = "double-" + "-".join(f"{k[:5]}{v}" for k, v in (*first.items(), *second.items()))
        board = lab.board("bricked-update", name, first)
        before = flash(board)
        extra = ("--bootloader", str(lab.images["bl"]), "--firmware", str(lab.images["fw"]))
        codes = [fix(lab, board, *extra)[0]]
        set_board(board, faults=second, power="on")
        code, err = fix(lab, board, *extra)
        codes.append(code)
        assert "internal error" not in err, err[-300:]
        note = nothing_lost(lab, board, before, bootloader=lab.images["bl"].read_bytes(),
                            images=("--bootloader", "--firmware"))
        return f"exits {codes}; {note}"
    return go


# ---------------------------------------------------------------- hostile inputs
def hostile_inputs(lab: Lab) -> list[tuple[str, list[str]]]:
    """(what, argv) pairs that must each end with exit 2 and one clean line, nothing executed or written."""
    root = lab.root / "hostile"
    root.mkdir(exist_ok=True)
    board = lab.board("healthy", "hostile-board")
    erased = lab.board("app-erased", "hostile-erased")  # where a fix would write the image it is given
    rules = (Path(__file__).resolve().parents[1] / "vescdoctor" / "rules" / "triage.yaml")
    if not rules.is_file():
        from vescdoctor.graph.loader import builtin_rules_path
        rules = builtin_rules_path() / "triage.yaml"
    graph = rules.read_text()
    anchor = "{if: usb.dfu_present, add: dfu-mode}"

    def graph_with(name: str, condition: str) -> str:
        path = root / f"{name}.yaml"
        path.write_text(graph.replace(anchor, f"{{if: '{condition}', add: dfu-mode}}"))
        return str(path)

    def file(name: str, data: bytes) -> str:
        (root / name).write_bytes(data)
        return str(root / name)
    fw = lab.images["fw"].read_bytes()
    cases = [
        ("graph: 50000 nested (", ["rules", "check", graph_with("paren", "(" * 50000 + "x" + ")" * 50000)]),
        ("graph: 50000 not", ["rules", "check", graph_with("not", "not " * 50000 + "x")]),
        ("graph: 50000 [", ["rules", "check", graph_with("list", "x in " + "[" * 50000)]),
        ("graph: 5000-digit number", ["rules", "check", graph_with("num", "x == " + "9" * 5000)]),
        ("graph: 40 nested (", ["rules", "check", graph_with("deep", "(" * 40 + "x" + ")" * 40)]),
        ("graph: escape in a node id", ["rules", "check", file("esc.yaml", graph.replace(
            anchor, '{if: usb.dfu_present, add: "\\e]0;x\\a\\e[2J"}').encode())]),
        ("graph: not YAML", ["rules", "check", file("bad.yaml", b"nodes: [\n  - {")]),
        ("graph: python tag", ["rules", "check", file("tag.yaml", b"!!python/object/apply:os.system ['true']\n")]),
        ("graph: binary", ["rules", "check", file("bin.yaml", os.urandom(4096))]),
        ("graph: 5 MiB", ["rules", "check", file("big.yaml", b"#" * (5 * 1024 * 1024))]),
        ("image: empty", ["inspect", file("empty.bin", b"")]),
        ("image: cut firmware", ["fix", "--sim", str(erased), "--firmware", file("cut.bin", fw[:200000]), "--yes",
                                 *HW]),
        ("image: RAM .hex", ["fix", "--sim", str(erased), "--firmware", _hex(root / "ram.hex", 0x20000000, fw[:4096]),
                             "--yes", *HW]),
        ("image: bad .hex", ["inspect", file("bad.hex", b":zz\n")]),
        ("image: bad .elf", ["inspect", file("bad.elf", b"\x7fELF" + os.urandom(60))]),
        ("report: not JSON", ["report", "show", file("r.json", b"{")]),
        ("report: deep JSON", ["report", "show", file("deep.json", b"[" * 100000 + b"]" * 100000)]),
        ("report: huge number", ["report", "show", file("num.json", b'{"format": ' + b"9" * 5000 + b"}")]),
        ("scenario: escape in hw", ["sim", "create", file("s1.yaml", b'name: x\ndescription: x\nboard: {hw: '
                                                          b'"\\e]0;x\\a"}\n'), str(root / "s1")]),
        ("scenario: 1 MB hw", ["sim", "create", file("s2.yaml", b"name: x\ndescription: x\nboard: {hw: '"
                                                      + b"4" * 1_000_000 + b"'}\n"), str(root / "s2")]),
        ("board: chip_seconds .nan", ["diagnose", "--sim", _board_with(lab, "nan", "chip_seconds: .nan\n")]),
        ("board: chip_seconds .inf", ["diagnose", "--sim", _board_with(lab, "inf", "chip_seconds: .inf\n")]),
        ("board: 5000-digit number", ["diagnose", "--sim", _board_with(lab, "digits", "chip_seconds: "
                                                                       + "9" * 5000 + "\n")]),
        ("restore: not a backup", ["restore", "--sim", str(board), str(lab.images["fw"]), "--yes"]),
        ("answer: unknown hw", ["diagnose", "--sim", str(board), "--answer", "hw=banana"]),
        ("report over the firmware", ["fix", "--sim", str(erased), "--firmware", str(lab.images["fw"]), "--yes",
                                      *HW, "--report", str(lab.images["fw"]), "--force"]),
        ("report over flash.bin", ["diagnose", "--sim", str(board), "--report", str(board / "flash.bin"),
                                   "--force"]),
    ]
    if hasattr(os, "mkfifo") and Path("/dev/zero").exists():
        fifo = root / "fifo.yaml"
        if not fifo.exists():
            os.mkfifo(fifo)
        cases += [("rules check /dev/zero", ["rules", "check", "/dev/zero"]),
                  ("rules check FIFO", ["rules", "check", str(fifo)]),
                  ("restore /dev/zero", ["restore", "--sim", str(board), "/dev/zero", "--yes"]),
                  ("inspect FIFO", ["inspect", str(fifo)]),
                  ("flash.bin -> /dev/zero", ["diagnose", "--sim", _board_linked(lab, "flash.bin")]),
                  ("board.yaml -> /dev/zero", ["diagnose", "--sim", _board_linked(lab, "board.yaml")])]
    return cases


def _hex(path: Path, address: int, data: bytes) -> str:
    from intelhex import IntelHex

    ih = IntelHex()
    ih.frombytes(data, offset=address)
    ih.write_hex_file(str(path))
    return str(path)


def _board_with(lab: Lab, name: str, extra: str) -> str:
    board = lab.board("healthy", f"hostile-{name}")
    with open(board / "board.yaml", "a") as f:
        f.write(extra)
    return str(board)


def _board_linked(lab: Lab, victim: str) -> str:
    board = lab.board("healthy", f"hostile-link-{victim}")
    (board / victim).unlink()
    (board / victim).symlink_to("/dev/zero")
    return str(board)


def hostile_case(what: str, index: int) -> Callable[[Lab], str]:
    def go(lab: Lab) -> str:
        argv = hostile_inputs(lab)[index][1]
        protected = [Path(a) for a in argv if a.endswith((".bin", ".yaml")) and Path(a).is_file()]
        before = {p: p.read_bytes() for p in protected if p.stat().st_size < 8 * 1024 * 1024}
        started = time.monotonic()
        code, out, err = run(*argv)
        lines = err.strip().splitlines()
        assert code == 2, f"exit {code}: {lines[-1:] if lines else out[:200]}"
        assert lines and "internal error" not in err and "Traceback" not in err, err[-300:]
        assert not ESC.search(lines[-1]), "a control character reached the terminal"
        assert all(p.read_bytes() == data for p, data in before.items()), "an input was changed"
        return f"exit 2 in {time.monotonic() - started:.1f} s: {lines[-1][:110]}"
    go.__name__ = what
    return go


# ---------------------------------------------------------------- consent and concurrency
def consent_case(kind: str) -> Callable[[Lab], str]:
    def go(lab: Lab) -> str:
        board = lab.board("app-erased", f"consent-{kind}")
        before = flash(board)
        bk = board.parent / f"{board.name}-bk"
        base = [sys.executable, "-m", "vescdoctor", "fix", "--sim", str(board), "--firmware", str(lab.images["fw"]),
                *HW, "--backup-dir", str(bk)]
        if kind == "no --yes, stdin a pipe":
            p = subprocess.run(base, input="yes\n", capture_output=True, text=True, timeout=300)
        elif kind == "no --yes, stdin closed":
            code = ("import os, sys; os.close(0); sys.stdin = None; from vescdoctor.cli import main; "
                    "sys.exit(main(sys.argv[1:]))")
            p = subprocess.run([sys.executable, "-c", code, *base[3:]], capture_output=True, text=True, timeout=300)
        elif kind == "--dry-run":
            p = subprocess.run(base + ["--dry-run"], capture_output=True, text=True, timeout=300,
                               stdin=subprocess.DEVNULL)
        else:  # restore without --yes
            good = lab.root / "consent-good.bin"
            if not good.exists():
                assert run("backup", "--sim", str(board), str(good))[0] == 0
            p = subprocess.run([sys.executable, "-m", "vescdoctor", "restore", "--sim", str(board), str(good),
                                "--backup-dir", str(bk)], capture_output=True, text=True, timeout=300,
                               stdin=subprocess.DEVNULL)
        expected = 0 if kind == "--dry-run" else 2
        assert p.returncode == expected, f"exit {p.returncode}: {p.stderr[-200:]}"
        assert "internal error" not in p.stderr
        assert flash(board) == before, "the flash changed without consent"
        assert not backups(bk), "a backup was made though nothing was to be changed"
        return f"exit {p.returncode}, nothing changed"
    return go


def concurrency_case(kind: str) -> Callable[[Lab], str]:
    def go(lab: Lab) -> str:
        board = lab.board("app-erased", f"conc-{kind.split()[0]}")
        bk = board.parent / f"{board.name}-bk"
        cmd = [sys.executable, "-m", "vescdoctor", "fix", "--sim", str(board), *HW, "--yes", "--backup-dir", str(bk)]
        if kind == "two fixes, different firmware":
            procs = [subprocess.Popen(cmd + ["--firmware", str(lab.images[fw])], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for fw in ("fw", "fw2")]
        else:  # a held board refuses every command
            holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
            import socket
            (board / ".vescdoctor.lock").write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(),
                                                                 "command": "fix", "token": "bench"}))
            procs = [subprocess.Popen([sys.executable, "-m", "vescdoctor", c, "--sim", str(board), *rest],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      stdin=subprocess.DEVNULL)
                     for c, rest in (("diagnose", []), ("fix", ["--firmware", str(lab.images["fw"]), "--yes", *HW]),
                                     ("backup", [str(lab.root / "conc.bin")]))]
        results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
        if kind == "two fixes, different firmware":
            codes = sorted(code for code, _ in results)
            assert codes in ([0, 3], [0, 0]), f"exits {codes}"
            image = flash(board)
            # up to the CRC words, which the firmware sets at its first boot
            body = slice(0xC000, 0x5FFF0)
            written = [fw for fw in ("fw", "fw2") if image[body] == lab.images[fw].read_bytes()[body]]
            assert len(written) == 1, "the flash holds neither firmware whole"
            if codes == [0, 3]:
                busy = [err for code, err in results if code == 3][0]
                assert "is in use by `vescdoctor fix`" in busy, busy[-200:]
            names = [b.name for b in backups(bk)]
            assert len(names) == len(set(names))
            return f"exits {codes}; one firmware whole ({written[0]})"
        holder.kill()
        holder.wait()
        assert all(code == 3 and "is in use by" in err for code, err in results), [c for c, _ in results]
        (board / ".vescdoctor.lock").unlink()
        return "diagnose, fix, backup: exit 3 naming the holder"
    return go


# ---------------------------------------------------------------- the matrix
UNPLUG_POINTS = (1, 256, 1024, 2048, 4096, 5000, 8192, 16384, 20000, 32768, 65536, 100000, 150000, 200000, 300000,
                 359000)
FLAKY = ((0.0001, "stlink-v2"), (0.0003, "stlink-v2"), (0.001, "stlink-v2"), (0.002, "stlink-v2"),
         (0.005, "stlink-v2"), (0.00003, "cmsis-dap"), (0.0001, "cmsis-dap"), (0.0003, "cmsis-dap"),
         (0.001, "cmsis-dap"), (0.003, "cmsis-dap"))
STUCK = ((0x0, 0x00), (0x4, 0x00), (0x100, 0x00), (0x3FFF, 0x00), (0x4000, 0x00), (0xC000, 0x00), (0xC001, 0x00),
         (0x20000, 0x00), (0x40000, 0x00), (0x57FF0, 0x00), (0x60000, 0x00), (0xFFFFF, 0x00))
DOUBLE = (({"probe_unplug_after_bytes": 4096}, {"probe_unplug_after_bytes": 4096}),
          ({"probe_unplug_after_bytes": 4096}, {"power_loss_after_erases": 1}),
          ({"power_loss_after_erases": 1}, {"power_loss_after_erases": 1}),
          ({"power_loss_after_erases": 2}, {"probe_unplug_after_bytes": 100000}),
          ({"probe_unplug_after_bytes": 200000}, {"power_loss_after_erases": 3}),
          ({"power_loss_after_erases": 1}, {"swd_error_rate": 0.001}),
          ({"probe_unplug_after_bytes": 50000}, {"swd_error_rate": 0.001}),
          ({"swd_error_rate": 0.005}, {"probe_unplug_after_bytes": 8192}),
          ({"power_loss_after_erases": 4}, {"power_loss_after_erases": 2}))
CONSENT = ("no --yes, stdin a pipe", "no --yes, stdin closed", "--dry-run", "restore without --yes")
CONCURRENCY = ("two fixes, different firmware", "a held board refuses every command")


def cases(lab: Lab | None = None) -> list[Case]:
    out = [Case("unplug", f"probe unplugged after {n} bytes programmed",
                forum_fault_case("probe_unplug_after_bytes", n, "unplug"), n in (4096,)) for n in UNPLUG_POINTS]
    out += [Case("power", f"power lost after erase {k}", forum_fault_case("power_loss_after_erases", k, "power"),
                 k == 2) for k in range(1, 7)]
    out += [Case("option-bytes", "RDP regression, power lost at its erase", option_bytes_case(
                "read-protected", {"power_loss_after_erases": 1})),
            Case("option-bytes", "RDP regression, probe unplugged in the writes after it", option_bytes_case(
                "read-protected", {"probe_unplug_after_bytes": 2048}), True)]
    out += [Case("flaky-swd", f"{probe} swd_error_rate {rate}", flaky_case(rate, probe),
                 (rate, probe) == (0.001, "stlink-v2")) for rate, probe in FLAKY]
    out += [Case("stuck-bits", f"cell 0x{BASE + off:08X} stuck at 0x{val:02X}", stuck_case(off, val), off == 0x100)
            for off, val in STUCK]
    out += [Case("double", f"{a} then {b}", double_case(a, b), i == 1) for i, (a, b) in enumerate(DOUBLE)]
    names = [what for what, _ in hostile_inputs(lab)] if lab is not None else []
    out += [Case("hostile", what, hostile_case(what, i), True) for i, what in enumerate(names)]
    out += [Case("consent", kind, consent_case(kind), kind != "--dry-run") for kind in CONSENT]
    out += [Case("concurrency", kind, concurrency_case(kind), True) for kind in CONCURRENCY]
    return out


def run_matrix(*, quick: bool, only: str | None, root: Path | None = None,
               say: Callable[[str], None] = print) -> list[Result]:
    work = Path(root or tempfile.mkdtemp(prefix="vescdoctor-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_DATA_HOME", str(work / "data"))  # restores' safety backups stay in the scratch dir
    lab = Lab(work)
    results = []
    for case in cases(lab):
        if (quick and not case.quick) or (only and case.family != only):
            continue
        started = time.monotonic()
        try:
            note, ok = case.run(lab), True
        except AssertionError as exc:
            note, ok = f"LOST: {exc}", False
        results.append(Result(case, ok, note, time.monotonic() - started))
        say(f"{'ok  ' if ok else 'FAIL'} {case.family:12} {case.name[:60]:60} {results[-1].seconds:6.1f} s  {note}")
    if root is None:
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one case of each family")
    ap.add_argument("--only", help="one family (unplug, power, option-bytes, flaky-swd, stuck-bits, double, hostile, "
                                   "consent, concurrency)")
    ap.add_argument("--workdir", help="keep boards and backups here")
    args = ap.parse_args(argv)
    started = time.monotonic()
    results = run_matrix(quick=args.quick, only=args.only, root=Path(args.workdir) if args.workdir else None)
    held = sum(r.ok for r in results)
    families: dict[str, list[int]] = {}
    for r in results:
        families.setdefault(r.case.family, [0, 0])
        families[r.case.family][0] += r.ok
        families[r.case.family][1] += 1
    print("\n" + ", ".join(f"{k} {a}/{b}" for k, (a, b) in families.items()))
    print(f"{held} of {len(results)} cases held in {time.monotonic() - started:.0f} s")
    return 0 if held == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
