"""`vescdoctor inspect FILE [--json]` through the real command line (vescdoctor.cli.main, and once as a process)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from intelhex import IntelHex

from vescdoctor.cli import main

from testdata import FIRMWARE_DIR, needs_firmware

SPEC_KEYS = {"kind", "hw", "version", "base", "size", "sha256", "problems"}

EXPECTED = {  # file -> (kind, hw, base, version)
    "fw_410_2018-07.bin": ("firmware", "410", 0x08000000, "3.40"),
    "fw_410_2022-01.bin": ("firmware", "410", 0x08000000, "5.03"),
    "fw_60_2022-01.bin": ("firmware", "60", 0x08000000, "5.03"),
    "bootloader_hw4x_2022-12.bin": ("bootloader", None, 0x080E0000, None),
    "bootloader_generic_2022-12.bin": ("bootloader", None, 0x080E0000, None),
    "bootloader_generic_2018.bin": ("bootloader", None, 0x080E0000, None),
}


def inspect_json(capsys, path) -> dict:
    assert main(["inspect", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out)  # one JSON document, nothing else on stdout


@needs_firmware
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_for_every_real_image(capsys, name):
    doc = inspect_json(capsys, FIRMWARE_DIR / name)
    assert SPEC_KEYS <= set(doc)
    assert (doc["kind"], doc["hw"], doc["base"], doc["version"]) == EXPECTED[name]
    assert doc["size"] == (FIRMWARE_DIR / name).stat().st_size
    assert isinstance(doc["problems"], list) and all(isinstance(p, str) for p in doc["problems"])


@needs_firmware
def test_readable_summary_of_a_release_firmware(capsys):
    assert main(["inspect", str(FIRMWARE_DIR / "fw_410_2022-01.bin")]) == 0
    out = capsys.readouterr().out
    for text in ("kind:     firmware", "hw:       410", "5.03", "0x08000000", "393208 bytes",
                 "3e21cb8792b1c1bcf6b423244c9a22e971ff699b24e0025425a03bbc3e389905",
                 "config sectors 1-2", "skips sectors 1-2"):
        assert text in out


@needs_firmware
def test_readable_summary_of_an_old_bootloader(capsys):
    assert main(["inspect", str(FIRMWARE_DIR / "bootloader_generic_2018.bin")]) == 0
    out = capsys.readouterr().out
    assert "kind:     bootloader" in out and "0x080E0000" in out and "compressed updates: no" in out
    assert "6.00" in out  # says what the missing compression support means


def _not_an_image(capsys, path, *words):
    """Exit 2, one line on stderr naming the file and saying what it looks like; --json still one document."""
    assert main(["inspect", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert (doc["kind"], doc["hw"], doc["base"], doc["version"]) == ("unknown", None, None, None)
    assert main(["inspect", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and all(w in lines[0] for w in words), lines
    assert "kind:     unknown" in captured.out
    return doc


def test_random_bytes_exit_2_saying_what_they_look_like(capsys, tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(os.urandom(20000))
    assert "random" in _not_an_image(capsys, path, "no structure", "random")["looks_like"]


@pytest.mark.parametrize("name, content, words", [
    ("photo.bin", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, ("a PNG picture",)),
    ("erased.bin", b"\xff" * 2 * 1024 * 1024, ("2097152 bytes all 0xFF", "erased flash")),
    ("report.bin", b'{"format": "vescdoctor-report", "version": 1}\n', ("vescdoctor report", "report show")),
    ("archive.bin", b"PK\x03\x04" + b"\x00" * 100, ("ZIP archive",)),
], ids=["png", "erased", "report", "zip"])  # the content itself (2 MiB of 0xFF) would be the test's id
def test_files_that_are_no_image_exit_2(capsys, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    _not_an_image(capsys, path, *words)


def test_a_report_json_is_told_as_a_report(capsys, tmp_path):
    from vescdoctor.report.model import build_report, write_report

    path = write_report(build_report({"facts": {"swd.connected": True}}), tmp_path / "vescdoctor-report.json")
    _not_an_image(capsys, path, "vescdoctor report")


@pytest.mark.parametrize("keep", [2000, 60000])
def test_a_truncated_firmware_is_named_truncated(capsys, tmp_path, keep):
    from vescdoctor.sim import imagegen

    path = tmp_path / "cut.bin"
    path.write_bytes(imagegen.firmware()[:keep])
    assert main(["inspect", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["truncated"] is True
    assert "truncated" in captured.err and "cut.bin" in captured.err and captured.err.count("\n") == 1


def test_a_whole_firmware_is_not_truncated(capsys, tmp_path):
    from vescdoctor.sim import imagegen

    path = tmp_path / "fw.bin"
    path.write_bytes(imagegen.firmware())
    doc = inspect_json(capsys, path)
    assert doc["kind"] == "firmware" and doc["truncated"] is False and doc["looks_like"] is None


def test_a_raw_bin_named_hex_is_told_as_such(capsys, tmp_path):
    from vescdoctor.sim import imagegen

    path = tmp_path / "fw.hex"
    path.write_bytes(imagegen.firmware())
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert "raw .bin named .hex" in err and "rename it to .bin" in err and "non-ASCII" not in err


@needs_firmware
def test_hex_file(capsys, tmp_path):
    ih = IntelHex()
    ih.frombytes((FIRMWARE_DIR / "fw_60_2022-01.bin").read_bytes(), offset=0x08000000)
    ih.write_hex_file(str(tmp_path / "fw.hex"))
    doc = inspect_json(capsys, tmp_path / "fw.hex")
    assert (doc["kind"], doc["hw"], doc["base"], doc["format"]) == ("firmware", "60", 0x08000000, "hex")


@pytest.mark.parametrize("make", ["missing", "empty", "directory", "bad-hex"])
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, make):
    path = tmp_path / "x.hex"
    if make == "empty":
        path.write_bytes(b"")
    elif make == "directory":
        path.mkdir()
    elif make == "bad-hex":
        path.write_text(":not hex at all\n")
    assert main(["inspect", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="root (and Windows) read files whatever their mode")
def test_unreadable_file_exits_2(capsys, tmp_path):
    path = tmp_path / "locked.bin"
    path.write_bytes(b"\x00" * 64)
    path.chmod(0)
    assert main(["inspect", str(path)]) == 2
    assert "permission denied" in capsys.readouterr().err


def test_as_a_process_missing_file(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "vescdoctor", "inspect", str(tmp_path / "nope.bin")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "nope.bin" in proc.stderr and "no such file" in proc.stderr
