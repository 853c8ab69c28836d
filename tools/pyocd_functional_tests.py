"""Run pyOCD's own functional test suite against the virtual bench: `python tools/pyocd_functional_tests.py`.

What it does (nothing of pyOCD's is committed to this repository):
1. downloads the source archive of the installed pyOCD version from the package index
   (`pip download --no-deps --no-binary :all: pyocd==VERSION`) into the work directory, once, and unpacks its
   `test/` directory (test/automated_test.py, the test modules, test/data/binaries) and the prebuilt
   src/gdb_test_program/gdb_test.bin the Debug Context test loads into RAM;
2. makes one bench board per probe type asked for (default: an ST-Link/V2 board and a CMSIS-DAP board), its flash
   holding the suite's NUCLEO_F411RE.bin at 0x08000000 (a Cortex-M4 image the STM32F405 runs silently);
3. writes a pyocd.yaml that gives each board `target_override: stm32f405rg` and that test binary;
4. runs pyOCD's runner, automated_test.main(), in this process with the chosen tests, after two changes: the
   suite's hex/elf conversion uses intelhex and a minimal ELF writer instead of arm-none-eabi-objcopy, and no
   failure is ignored (the runner ignores Connect Test failures by default; here every sub-test counts).
Exit status: 0 when every test passed on every board, 1 otherwise (the standalone test scripts exit 0 on failure,
so only the runner's verdict is used).
"""
from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TESTS = ("Basic Test", "Flash Test", "Flash Loader Test", "Connect Test", "Commands Test", "Concurrency Test",
         "Debug Context Test", "Cortex Test")
PROBES = ("stlink-v2", "cmsis-dap")
TEST_BINARY = "NUCLEO_F411RE.bin"


def fetch_suite(work: Path) -> Path:
    """pyOCD's test/ directory for the installed version, from its source archive on the package index."""
    import pyocd

    version = pyocd.__version__
    test_dir = work / f"pyocd-{version}" / "test"
    if (test_dir / "automated_test.py").is_file():
        return test_dir
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    f"pyocd=={version}", "-d", str(work)], check=True)
    archive = work / f"pyocd-{version}.tar.gz"
    with tarfile.open(archive) as tar:
        wanted = (f"pyocd-{version}/test/", f"pyocd-{version}/src/gdb_test_program/")  # the Debug Context test's
        members = [m for m in tar.getmembers() if m.name.startswith(wanted)]
        tar.extractall(work, members=members, filter="data")
    return test_dir


def make_boards(work: Path, probes: tuple[str, ...], binary: Path) -> list[Path]:
    from vescdoctor.knowledge.flash import FLASH_SIZE
    from vescdoctor.sim.board import Board, BoardConfig

    image = binary.read_bytes()
    flash = image + b"\xff" * (FLASH_SIZE - len(image))
    boards = []
    for probe in probes:
        path = work / "boards" / probe
        Board.create(path, BoardConfig(probe=probe), flash)
        boards.append(path)
    return boards


def write_config(run_dir: Path, boards: list[Path], binary: Path) -> None:
    import yaml

    probes = {str(b): {"target_override": "stm32f405rg", "test_binary": str(binary)} for b in boards}
    (run_dir / "pyocd.yaml").write_text(yaml.safe_dump({"probes": probes}))


# -- the suite's objcopy conversions, without objcopy ----------------------------------------------------------------
def binary_to_hex_file(binary_file, base_address) -> str:
    from intelhex import IntelHex

    out = tempfile.mktemp(".hex")
    ih = IntelHex()
    ih.frombytes(Path(binary_file).read_bytes(), offset=base_address)
    ih.start_addr = {"EIP": base_address}
    ih.write_hex_file(out)
    return out


def binary_to_elf_file(binary_file, base_address) -> str:
    """An ELF32 ARM executable as `objcopy -I binary -O elf32-littlearm --change-addresses` makes: one PT_LOAD
    segment and a .data section (SHF_WRITE | SHF_ALLOC) at `base_address`, and .shstrtab."""
    data = Path(binary_file).read_bytes()
    names = b"\0.data\0.shstrtab\0"
    data_off = 52 + 32
    names_off = data_off + len(data)
    sh_off = (names_off + len(names) + 3) & ~3
    header = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack(
        "<HHIIIIIHHHHHH", 2, 40, 1, base_address, 52, sh_off, 0x05000000, 52, 32, 1, 40, 3, 2)
    phdr = struct.pack("<8I", 1, data_off, base_address, base_address, len(data), len(data), 7, 4)
    sections = bytes(40) + struct.pack("<10I", 1, 1, 3, base_address, data_off, len(data), 0, 0, 4, 0) + \
        struct.pack("<10I", 7, 3, 0, 0, names_off, len(names), 0, 0, 1, 0)
    body = header + phdr + data + names
    out = tempfile.mktemp(".elf")
    Path(out).write_bytes(body + bytes(sh_off - len(body)) + sections)
    return out


def run_suite(test_dir: Path, run_dir: Path, boards: list[Path], tests: tuple[str, ...]) -> int:
    from vescdoctor.target.stm32f405 import register_target

    register_target()
    os.environ["VESCDOCTOR_SIM_BOARDS"] = os.pathsep.join(str(b) for b in boards)
    sys.path.insert(0, str(test_dir))
    os.chdir(run_dir)  # pyOCD reads pyocd.yaml from here; the suite writes its output/ here
    import test_util

    test_util.binary_to_hex_file = binary_to_hex_file
    test_util.binary_to_elf_file = binary_to_elf_file
    import automated_test

    automated_test.IGNORE_FAILURE_TESTS = []  # every sub-test counts
    sys.argv = ["automated_test.py", "--quiet", "-i", ",".join(tests)]
    try:
        automated_test.main()
    except SystemExit as exc:
        return 0 if exc.code in (0, None) else 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=str(ROOT / ".ci" / "pyocd-functional"),
                        help="where the source archive, boards and results go (default .ci/pyocd-functional)")
    parser.add_argument("--tests", default=",".join(TESTS), help="comma-separated pyOCD test names")
    parser.add_argument("--probes", default=",".join(PROBES), help="comma-separated probe types, one board each")
    args = parser.parse_args(argv)
    work = Path(args.work).resolve()
    test_dir = fetch_suite(work)
    binary = test_dir / "data" / "binaries" / TEST_BINARY
    run_dir = work / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    boards = make_boards(work, tuple(args.probes.split(",")), binary)
    write_config(run_dir, boards, binary)
    return run_suite(test_dir, run_dir, boards, tuple(args.tests.split(",")))


if __name__ == "__main__":
    sys.exit(main())
