"""vescdoctor benchmarks on the virtual bench: `python bench/run.py [--runs N] [--help-runs M] [--quick]`.

Both recoveries run with each probe model, ST-Link/V2 and CMSIS-DAP, on fresh copies of the same board.
Prints a table, then one line per figure, `ratio NAME VALUE`, each the ratio of two quantities measured in this run:
  recovery_vs_pyocd_cli    median modelled time of `vescdoctor fix` on the forum case / median modelled time of the
                           pyOCD command sequence a forum user runs for the same job (savemem, erase --chip, load
                           bootloader, load firmware, compare), each on a fresh copy of the same board with an
                           ST-Link/V2. Modelled time is what the real STM32F405 and probe would take (docs/bench.md,
                           "Time"); the host's wall time is in the table, apart. `..._cmsis_dap`: the same with a
                           CMSIS-DAP probe.
  recovery_vs_floor        median modelled time of `vescdoctor fix` / the modelled floor: a 1 MiB backup read and the
                           floor's programmed bytes written over the link at the probe's fastest SWD clock
                           (bench/link_floor.py), plus the floor's erase, the programming overlapped with the writes.
  chip_time_vs_floor       simulated chip time of vescdoctor's fix / the floor: erase only the sectors that must be
                           erased, program only the words that must change (from the flash before and after).
  chip_time_vs_full_erase  simulated chip time of vescdoctor's fix / that of the full-chip-erase plan at its least
                           (one mass erase, both images programmed once); the measured pyOCD CLI sequence's chip
                           time, larger, is in the table.
  help_vs_pyocd            median wall time of `vescdoctor --help` / median wall time of `pyocd --help`.
Then `figure NAME VALUE` lines: fix_modelled_s (and _cmsis_dap), fix_bytes_read, diagnose_healthy_modelled_s (the
board the fix left, diagnosed again).
Every command runs as a subprocess of this script, from the same Python environment. See docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vescdoctor.knowledge.flash import BOOTLOADER_BASE, FLASH_BASE, SECTORS  # noqa: E402
from vescdoctor.sim import clock  # noqa: E402

BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared"
REAL_FIRMWARE = SHARED / "firmware"
REAL_SCENARIO = SHARED / "scenarios" / "seed-after-update-410.yaml"
TARGET = "stm32f405rg"
PROBES = ("stlink-v2", "cmsis-dap")

# The forum case (built-in `bricked-update`) with the small generated firmware: fast, for --quick.
QUICK_SCENARIO = """\
name: bench-quick-bricked-update
description: the forum case (bricked-update) with a small generated firmware, for a quick benchmark run
board: {hw: "410"}
flash:
  - {at: 0x08000000, generate: firmware, hw: "410", version: "5.02", size: small, seed: 2}
  - {at: 0x08004000, hex: "0000ffff"}
  - {at: 0x08004004, generate: garbage, size: 0x600, seed: 1}
  - {at: 0x080E0000, generate: bootloader, compression: true}
  - {at: 0x080E0000, generate: garbage, size: 0x200, seed: 11}
  - {at: 0x08080000, generate: update, hw: "410", version: "5.03", size: small}
  - {at: 0x08000000, erase: 0x4000}
  - {at: 0x0800C000, erase: 0x74000}
answers: {symptom: no-usb}
"""


# -- inputs --------------------------------------------------------------------------------------------------------
def prepare_inputs(work: Path, *, quick: bool, images: str) -> dict:
    """Make the template board and pick the images. Returns what was used, for the table."""
    use_real = images == "real" or (images == "auto" and not quick and REAL_FIRMWARE.is_dir()
                                    and REAL_SCENARIO.is_file())
    if use_real:
        scenario = str(REAL_SCENARIO)
        bootloader = REAL_FIRMWARE / "bootloader_hw4x_2022-12.bin"
        firmware = REAL_FIRMWARE / "fw_410_2022-01.bin"
        what = "real: seed-after-update-410, bootloader_hw4x_2022-12.bin, fw_410_2022-01.bin (FW 5.03)"
    else:
        from vescdoctor.sim import imagegen

        size = "small" if quick else "release5"
        if quick:
            scenario_path = work / "quick-bricked-update.yaml"
            scenario_path.write_text(QUICK_SCENARIO)
            scenario = str(scenario_path)
        else:
            scenario = "bricked-update"
        bootloader = work / "bootloader.bin"
        firmware = work / "firmware.bin"
        bootloader.write_bytes(imagegen.bootloader(compression=True, seed=0))
        firmware.write_bytes(imagegen.firmware("410", "5.03", size))
        what = (f"generated: {'bricked-update with small images' if quick else 'built-in bricked-update'}, "
                f"imagegen.bootloader(compression=True), imagegen.firmware('410', '5.03', {size!r})")
    template = work / "template"
    run([str(BIN / "vescdoctor"), "sim", "create", scenario, str(template)], check=True)
    templates = {}
    for probe in PROBES:  # the same board, each with its own probe model
        templates[probe] = work / f"template-{probe}"
        if templates[probe].exists():
            shutil.rmtree(templates[probe])
        shutil.copytree(template, templates[probe])
        yaml_path = templates[probe] / "board.yaml"
        text = yaml_path.read_text()
        if probe != "stlink-v2":
            if "\nprobe: stlink-v2\n" not in text:  # else every column would measure the ST-Link, silently
                raise SystemExit(f"bench/run.py: {yaml_path} has no 'probe: stlink-v2' line to make a {probe} board")
            yaml_path.write_text(text.replace("\nprobe: stlink-v2\n", f"\nprobe: {probe}\n"))
    return {"images": what, "template": template, "templates": templates, "bootloader": bootloader,
            "firmware": firmware}


# -- helpers -------------------------------------------------------------------------------------------------------
def run(cmd: list[str], *, check: bool = False, cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    elapsed = time.perf_counter() - t0
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return elapsed, proc


def board_seconds(board: Path, key: str) -> float:
    """chip_seconds, link_seconds or modelled_seconds: the board's running totals over every command (board.yaml)."""
    import yaml

    data = yaml.safe_load((board / "board.yaml").read_text()) or {}
    return float(data.get(key) or 0.0)


def chip_seconds(board: Path) -> float:
    return board_seconds(board, "chip_seconds")


def modelled_seconds(board: Path) -> float:
    return board_seconds(board, "modelled_seconds")


def fresh_board(inputs: dict, work: Path, name: str, probe: str = "stlink-v2") -> Path:
    board = work / name
    if board.exists():
        shutil.rmtree(board)
    shutil.copytree(inputs["templates"][probe], board)
    return board


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- measurements --------------------------------------------------------------------------------------------------
def vescdoctor_fix(inputs: dict, work: Path, i: int, probe: str) -> dict:
    board = fresh_board(inputs, work, f"{probe}-fix{i}", probe)
    before, modelled_before = chip_seconds(board), modelled_seconds(board)
    cmd = [str(BIN / "vescdoctor"), "fix", "--sim", str(board), "--bootloader", str(inputs["bootloader"]),
           "--firmware", str(inputs["firmware"]), "--yes", "--backup-dir", str(work / f"{probe}-fix{i}-backup"),
           "--json"]
    elapsed, proc = run(cmd)
    out = {"wall": elapsed, "exit": proc.returncode, "chip": chip_seconds(board) - before, "board": board,
           "modelled": modelled_seconds(board) - modelled_before}
    try:
        report = json.loads(proc.stdout)
        out["after"] = (report.get("after") or {}).get("verdict")
        out["bench"] = report.get("bench") or {}
    except ValueError:
        out["after"] = None
    out["ok"] = proc.returncode == 0 and out["after"] == "healthy"
    if not out["ok"]:
        out["error"] = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
    return out


def pyocd_sequence(inputs: dict, work: Path, i: int, probe: str) -> dict:
    """What a forum user types: save the flash, erase the chip, load both images, compare (pyOCD's own SWD clock:
    the user asks none)."""
    board = fresh_board(inputs, work, f"{probe}-cli{i}", probe)
    before = chip_seconds(board)
    pyocd = str(BIN / "pyocd")
    common = ["-u", f"vescsim:{board}", "-t", TARGET]
    bl, fw = inputs["bootloader"], inputs["firmware"]
    steps = [
        ("savemem", [pyocd, "cmd", *common, "-c",
                     f"savemem 0x{FLASH_BASE:08X} 0x100000 {work / f'{probe}-cli{i}-backup.bin'}"]),
        ("erase", [pyocd, "erase", "--chip", *common]),
        ("load bootloader", [pyocd, "load", *common, f"{bl}@0x{BOOTLOADER_BASE:08X}"]),
        ("load firmware", [pyocd, "load", *common, f"{fw}@0x{FLASH_BASE:08X}"]),
        ("compare", [pyocd, "cmd", *common, "-c", f"compare 0x{BOOTLOADER_BASE:08X} {bl}",
                     "-c", f"compare 0x{FLASH_BASE:08X} {fw}"]),
    ]
    wall, per_step, chip_step, modelled_step, ok, mismatches = 0.0, {}, {}, {}, True, None
    for name, cmd in steps:
        chip0, modelled0 = chip_seconds(board), modelled_seconds(board)
        elapsed, proc = run(cmd, cwd=work)
        wall += elapsed
        per_step[name] = elapsed
        chip_step[name] = chip_seconds(board) - chip0
        modelled_step[name] = modelled_seconds(board) - modelled0
        if name == "compare":
            mismatches = sum(1 for line in proc.stdout.splitlines() if line.startswith("Mismatched"))
        if proc.returncode != 0:
            ok = False
            per_step[name + " (failed)"] = proc.returncode
    return {"wall": wall, "steps": per_step, "chip_steps": chip_step, "modelled_steps": modelled_step, "ok": ok,
            "chip": chip_seconds(board) - before, "modelled": sum(modelled_step.values()), "board": board,
            "mismatches": mismatches}


def floor_seconds(before: bytes, after: bytes) -> dict:
    """Datasheet time of the least work that turns `before` into `after`: a sector must be erased when some bit must
    go 0 -> 1; then every word of it not 0xFFFFFFFF is programmed. Elsewhere only the words that differ (1 -> 0 only)
    are programmed. x32 parallelism: one word per program operation."""
    erase_s, words, erased = 0.0, 0, []
    for sector in SECTORS:
        lo, hi = sector.address - FLASH_BASE, sector.end - FLASH_BASE
        b, a = before[lo:hi], after[lo:hi]
        if b == a:
            continue
        bi, ai = int.from_bytes(b, "little"), int.from_bytes(a, "little")
        if ai & ~bi:
            erase_s += clock.SECTOR_ERASE_S[sector.size][4]
            erased.append(sector.number)
            words += sum(1 for o in range(0, len(a), 4) if a[o:o + 4] != b"\xff\xff\xff\xff")
        else:
            words += sum(1 for o in range(0, len(a), 4) if a[o:o + 4] != b[o:o + 4])
    spans = [(s, slice(s.address - FLASH_BASE, s.end - FLASH_BASE)) for s in SECTORS]
    blank_written = [s.number for s, at in spans if before[at] == b"\xff" * s.size and after[at] != before[at]]
    return {"seconds": erase_s + words * clock.WORD_PROGRAM_S, "erase_s": erase_s, "words": words,
            "sectors": erased, "blank_written": blank_written,
            "blank_erase_s": sum(clock.SECTOR_ERASE_S[SECTORS[n].size][4] for n in blank_written)}


def full_erase_computed(inputs: dict) -> float:
    """Mass erase once, then program every word of both images (what the full-chip-erase plan needs at least)."""
    size = inputs["bootloader"].stat().st_size + inputs["firmware"].stat().st_size
    return clock.MASS_ERASE_S[4] + math.ceil(size / 4) * clock.WORD_PROGRAM_S


def help_times(runs: int) -> dict:
    cmds = {"vescdoctor --help": [str(BIN / "vescdoctor"), "--help"],
            "vescdoctor diagnose --help": [str(BIN / "vescdoctor"), "diagnose", "--help"],
            "pyocd --help": [str(BIN / "pyocd"), "--help"]}
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):  # interleaved, so drift in machine load hits all three alike
        for name, cmd in cmds.items():
            times[name].append(run(cmd, check=True)[0])
    return {k: median(v) for k, v in times.items()}


def link_floor(probe: str, write_bytes: int) -> dict:
    _, proc = run([sys.executable, str(ROOT / "bench" / "link_floor.py"), probe, str(write_bytes)], check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def modelled_floor(floor: dict, link: dict) -> float:
    """The least modelled time of the repair with its backup: the 1 MiB backup read, the floor's erases, then its
    programming overlapped with the programmed bytes crossing the link (both at the probe's fastest clock)."""
    program_s = floor["words"] * clock.WORD_PROGRAM_S
    return link["read_1mib_s"] + floor["erase_s"] + max(program_s, link["write_s"])


def healthy_diagnosis(board: Path, work: Path, name: str) -> dict:
    """`vescdoctor diagnose --json` on a copy of the board a fix left healthy: its report's bench block."""
    copy = work / name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(board, copy)
    _, proc = run([str(BIN / "vescdoctor"), "diagnose", "--sim", str(copy), "--json"])
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        return {}
    return {"verdict": (report.get("verdict") or {}).get("code"), **(report.get("bench") or {})}


def diagnosis_cost(inputs: dict, work: Path) -> dict:
    board = fresh_board(inputs, work, "diag")
    _, proc = run([sys.executable, str(ROOT / "bench" / "diag_cost.py"), str(board)], check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- main ----------------------------------------------------------------------------------------------------------
def fmt(value, unit="") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "unavailable"
    if isinstance(value, float):
        return f"{value:.3f}{unit}"
    return f"{value}{unit}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of each recovery (median); default 3")
    ap.add_argument("--help-runs", type=int, default=7, help="runs of each --help (median); default 7")
    ap.add_argument("--quick", action="store_true", help="1 run each, 3 help runs, small generated images")
    ap.add_argument("--images", choices=("auto", "real", "generated"), default="auto",
                    help="auto: the real images from ../shared/firmware when present (not with --quick)")
    ap.add_argument("--workdir", help="keep boards and backups here (default: a temporary directory, removed)")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.help_runs = min(args.runs, 1), min(args.help_runs, 3)

    tmp = None
    if args.workdir:
        work = Path(args.workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="vescdoctor-bench-")
        work = Path(tmp.name)
    try:
        return _measure(args, work)
    finally:
        if tmp is not None:
            tmp.cleanup()


def measure_probe(inputs: dict, work: Path, probe: str, runs: int) -> dict:
    """Both recoveries with one probe model, interleaved; the floor and a diagnosis of the repaired board."""
    fixes, clis = [], []
    for i in range(runs):
        fixes.append(vescdoctor_fix(inputs, work, i, probe))
        clis.append(pyocd_sequence(inputs, work, i, probe))
    good = [f for f in fixes if f["ok"]]
    out = {"probe": probe, "fixes": fixes, "clis": clis, "good": good, "floor": None, "link": None,
           "floor_modelled": None, "healthy": {},
           "fix_wall": median([f["wall"] for f in good]) if good else None,
           "cli_wall": median([c["wall"] for c in clis]),
           "fix_modelled": median([f["modelled"] for f in good]) if good else None,
           "cli_modelled": median([c["modelled"] for c in clis]),
           "fix_bench": good[0].get("bench", {}) if good else {},
           "fix_chip": median([f["chip"] for f in good]) if good else None,
           "cli_chip": median([c["chip"] for c in clis])}
    if good:
        before = (inputs["template"] / "flash.bin").read_bytes()
        out["floor"] = floor = floor_seconds(before, (good[0]["board"] / "flash.bin").read_bytes())
        out["link"] = link = link_floor(probe, 4 * floor["words"])
        out["floor_modelled"] = modelled_floor(floor, link)
        out["healthy"] = healthy_diagnosis(good[0]["board"], work, f"{probe}-healthy")
    return out


def probe_rows(m: dict) -> list[tuple[str, str]]:
    name = {"stlink-v2": "ST-Link/V2", "cmsis-dap": "CMSIS-DAP"}[m["probe"]]
    fixes, clis, good, bench = m["fixes"], m["clis"], m["good"], m["fix_bench"]
    rows = [
        (f"[{name}] vescdoctor fix: modelled time, median", fmt(m["fix_modelled"], " s")),
        (f"[{name}] vescdoctor fix: runs ok (after = healthy)", f"{len(good)}/{len(fixes)}"
         + ("" if good else f" ({fixes[0].get('error')})")),
        (f"[{name}] vescdoctor fix: report bench block: chip / link / bytes read / bytes written / transfers / "
         "SWD kHz", " / ".join(fmt(bench.get(k)) for k in ("chip_seconds", "link_seconds", "bytes_read",
                                                            "bytes_written", "transfers", "swd_khz"))),
        (f"[{name}] pyOCD CLI sequence: modelled time, median (pyOCD's default SWD clock)",
         fmt(m["cli_modelled"], " s")),
    ]
    modelled = {k: median([c["modelled_steps"].get(k, float("nan")) for c in clis]) for k in clis[0]["modelled_steps"]}
    rows += [(f"[{name}]   pyocd {k}: modelled time, median", fmt(v, " s")) for k, v in modelled.items()]
    link, healthy = m["link"] or {}, m["healthy"]
    rows += [
        (f"[{name}] pyOCD CLI sequence: all steps exit 0 / compare found a mismatch (runs)",
         f"{sum(c['ok'] for c in clis)}/{len(clis)} / {sum(bool(c['mismatches']) for c in clis)}/{len(clis)}"),
        (f"[{name}] floor, modelled: 1 MiB read / programmed bytes written (at the probe's fastest clock, kHz) / "
         "total", f"{fmt(link.get('read_1mib_s'), ' s')} / {fmt(link.get('write_s'), ' s')} "
                  f"({fmt(link.get('swd_khz'))}) / {fmt(m['floor_modelled'], ' s')}"),
        (f"[{name}] diagnosis of the repaired board: verdict / modelled time / bytes read",
         f"{healthy.get('verdict')} / {fmt(healthy.get('modelled_seconds'), ' s')} / {fmt(healthy.get('bytes_read'))}"),
        (f"[{name}] host wall time (bench emulation, not hardware time): vescdoctor fix / pyOCD CLI sequence, "
         "median", f"{fmt(m['fix_wall'], ' s')} / {fmt(m['cli_wall'], ' s')}"),
    ]
    return rows


def chip_rows(m: dict, full_computed: float) -> list[tuple[str, str]]:
    clis, floor, fix_chip, cli_chip = m["clis"], m["floor"], m["fix_chip"], m["cli_chip"]
    steps = {k: median([c["steps"].get(k, float("nan")) for c in clis]) for k in clis[0]["steps"]}
    chips = {k: median([c["chip_steps"].get(k, float("nan")) for c in clis]) for k in clis[0]["chip_steps"]}
    rows = [(f"  pyocd {k}: host wall / chip time, median", f"{fmt(v, ' s')} / {fmt(chips[k], ' s')}")
            for k, v in steps.items()]
    return rows + [
        ("vescdoctor fix: chip time (simulated)", fmt(fix_chip, " s")),
        ("pyOCD CLI sequence: chip time (simulated)", fmt(cli_chip, " s")),
        ("full-chip-erase plan, computed (1 mass erase + both images)", fmt(full_computed, " s")),
        ("vescdoctor chip time / pyOCD CLI sequence chip time (measured)", fmt(
            fix_chip / cli_chip if fix_chip is not None and cli_chip else None)),
        ("floor: chip time", fmt(floor["seconds"] if floor else None, " s")),
        ("floor: sectors that must be erased", ", ".join(map(str, floor["sectors"])) if floor else "unavailable"),
        ("floor: words that must be programmed", fmt(floor["words"] if floor else None)),
        ("sectors blank before, written after (their erase, if done, is avoidable)",
         (", ".join(map(str, floor["blank_written"])) + f" ({fmt(floor['blank_erase_s'], ' s')} of erase)")
         if floor else "unavailable"),
    ]


def ratio(a, b):
    return a / b if a is not None and b and math.isfinite(a) and math.isfinite(b) else None


def _measure(args, work: Path) -> int:
    inputs = prepare_inputs(work, quick=args.quick, images=args.images)
    by_probe = {probe: measure_probe(inputs, work, probe, args.runs) for probe in PROBES}
    v2, dap = by_probe["stlink-v2"], by_probe["cmsis-dap"]
    full_computed = full_erase_computed(inputs)
    helps = help_times(args.help_runs)
    diag = diagnosis_cost(inputs, work)

    rows = [("images", inputs["images"]),
            ("runs (recovery, per probe) / runs (help)", f"{args.runs} / {args.help_runs}")]
    for m in by_probe.values():
        rows += probe_rows(m)
    rows += [("ST-Link/V2 runs, chip time:", "")] + chip_rows(v2, full_computed)
    rows += [(f"{k}: host wall, median", fmt(v, " s")) for k, v in helps.items()]
    usb = diag["usb"]
    rows += [
        ("diagnosis (forum case, ST-Link/V2): verdict", str(diag["verdict"])),
        ("diagnosis: probe USB transfers (bulk out + bulk in + control)",
         f"{diag['usb_total']} ({usb['bulk_out']} + {usb['bulk_in']} + {usb['control']})"),
        ("diagnosis: flash bytes read (facts flash.bytes_read)", fmt(diag["flash_bytes_read"])),
        ("diagnosis: modelled time / of it on the probe link", f"{fmt(diag['bench'].get('modelled_seconds'), ' s')}"
         f" / {fmt(diag['bench'].get('link_seconds'), ' s')}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    print()

    ratios = {
        "recovery_vs_pyocd_cli": ratio(v2["fix_modelled"], v2["cli_modelled"]),
        "recovery_vs_floor": ratio(v2["fix_modelled"], v2["floor_modelled"]),
        "chip_time_vs_floor": ratio(v2["fix_chip"], v2["floor"]["seconds"] if v2["floor"] else None),
        # against the computed plan (one mass erase, each image programmed once): the smaller, stricter denominator
        "chip_time_vs_full_erase": ratio(v2["fix_chip"], full_computed),
        "help_vs_pyocd": ratio(helps["vescdoctor --help"], helps["pyocd --help"]),
        "recovery_vs_pyocd_cli_cmsis_dap": ratio(dap["fix_modelled"], dap["cli_modelled"]),
        "recovery_vs_floor_cmsis_dap": ratio(dap["fix_modelled"], dap["floor_modelled"]),
    }
    figures = {
        "fix_modelled_s": v2["fix_modelled"],
        "fix_modelled_s_cmsis_dap": dap["fix_modelled"],
        "fix_bytes_read": v2["fix_bench"].get("bytes_read"),
        "diagnose_healthy_modelled_s": v2["healthy"].get("modelled_seconds"),
    }
    for name, value in ratios.items():
        print(f"ratio {name} {value:.3f}" if value is not None else f"ratio {name} unavailable")
    for name, value in figures.items():
        print(f"figure {name} {fmt(value)}")
    return 0 if all(v is not None for v in (*ratios.values(), *figures.values())) else 1


if __name__ == "__main__":
    sys.exit(main())
