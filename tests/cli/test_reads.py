"""What a diagnosis reads over SWD (issue 19): a board whose firmware answers for itself over USB is read only where
a verdict depends on it; the forum case reads the update buffer's image but not its erased blocks; a diagnosis with
no debug probe does not import pyOCD. Bytes are counted (the bench's debug port and the flash.bytes_read fact),
never wall time."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vescdoctor.cli import main
from vescdoctor.flash_analysis import BytesReader, Reported, analyze
from vescdoctor.knowledge.flash import APP_MAX_SIZE_5, CRC_FLAG_ADDR, FLASH_BASE
from vescdoctor.probes.flash_map import reported_firmware

from board_support import flash, make
from testdata import SCENARIOS_DIR, needs_scenarios

# What a healthy, answering board costs now: its CRC flag, the starts of sectors 3-4, both ends of the sectors no
# verdict needs, the config status words, the buffer header and the largest known bootloader (5776 bytes).
HEALTHY_MAX = 8 * 1024


def diagnose(board, capsys) -> dict:
    capsys.readouterr()
    main(["diagnose", "--sim", str(board), "--json"])
    return json.loads(capsys.readouterr().out)


def test_a_healthy_board_that_answers_on_usb_is_read_only_where_a_verdict_depends_on_it(tmp_path, capsys):
    report = diagnose(make(tmp_path, "healthy"), capsys)
    facts = report["facts"]
    assert report["verdict"]["code"] == "healthy"
    assert facts["flash.app_hw"] == facts["vesc.hw_name"] == "410" and facts["flash.app_crc"] == "ok"
    assert facts["flash.bootloader_present"] and facts["flash.bootloader_compression"] is True
    assert facts["flash.bytes_read"] <= HEALTHY_MAX  # was 925,742: the app sectors and sectors 8-10 read whole
    assert report["bench"]["bytes_read"] <= HEALTHY_MAX + 1024  # identity, option bytes, core registers
    states = {s["number"]: s["state"] for s in facts["flash.sectors"]}
    assert states[3] == states[4] == "data" and states[11] == "data"


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
@needs_scenarios
@pytest.mark.real_firmware
def test_the_real_healthy_board_and_the_forum_case_read_counts(tmp_path, capsys):
    healthy = diagnose(make(tmp_path, str(SCENARIOS_DIR / "healthy-410.yaml"), "healthy"), capsys)
    assert healthy["verdict"]["code"] == "healthy"
    assert healthy["facts"]["flash.bytes_read"] <= HEALTHY_MAX
    assert healthy["facts"]["flash.bootloader_name"]  # the real HW 4.x bootloader, named by its sha256
    forum = diagnose(make(tmp_path, str(SCENARIOS_DIR / "seed-after-update-410.yaml"), "forum"), capsys)
    facts = forum["facts"]
    assert forum["verdict"]["code"] == "app-missing"
    assert facts["flash.buffer_hw"] == "410" and facts["flash.buffer_crc_ok"] is True  # the repair's hint
    # the buffer's 393,208-byte image is read except its erased 16 KB blocks (the chip's CRC names them), plus
    # the bootloader's 8 KB; was 434,378 (the image whole and sectors 9-10 read again for their blank check)
    assert facts["flash.bytes_read"] <= 340_000


def test_the_firmware_speaks_for_the_flash_only_for_this_chip_and_a_version_that_checks_its_crc():
    facts = {"vesc.answered": True, "vesc.hw_name": "410", "vesc.fw_version": "5.03", "vesc.uuid": "0a" * 12,
             "swd.uid": "0A" * 12}
    assert reported_firmware(facts) == Reported("410", "5.03")
    assert reported_firmware({**facts, "swd.uid": "0B" * 12}) is None  # another board on USB
    assert reported_firmware({**facts, "vesc.fw_version": "3.40"}) is None  # no CRC check before 3.55
    assert reported_firmware({**facts, "vesc.fw_version": "3.102"}) is None  # Ackmaniac's, not bldc's
    assert reported_firmware({**facts, "vesc.uuid": None}) is None


def test_a_crc_flag_the_firmware_would_not_leave_makes_the_app_read_as_before(tmp_path):
    image = bytearray(flash(make(tmp_path, "healthy")))
    flag = CRC_FLAG_ADDR[APP_MAX_SIZE_5] - FLASH_BASE
    brief = analyze(BytesReader(bytes(image)), reported=Reported("410", "5.03"))
    assert brief.app.crc_state == "ok" and brief.bytes_read <= HEALTHY_MAX
    image[flag:flag + 4] = b"\xff" * 4  # not what bldc writes at its first boot, before it starts USB
    full = analyze(BytesReader(bytes(image)), reported=Reported("410", "5.03"))
    assert full.bytes_read > 400_000 and full.app.hw == "410"


def test_no_debug_probe_on_usb_means_pyocd_is_not_imported(tmp_path):
    board = make(tmp_path, "no-probe")
    code = ("import contextlib, io, json, sys\n"
            "from vescdoctor.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):\n"
            f"    main(['diagnose', '--sim', {str(board)!r}, '--json'])\n"
            "print(json.dumps([json.loads(out.getvalue())['verdict']['code'],"
            " sorted(m for m in sys.modules if m.split('.')[0] == 'pyocd')]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    verdict, pyocd_modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert verdict == "no-probe" and pyocd_modules == []


def test_a_running_board_that_does_not_answer_reads_its_app_but_not_the_sectors_no_verdict_needs(tmp_path, capsys):
    board = make(tmp_path, "charge-only-cable")
    report = diagnose(board, capsys)
    facts = report["facts"]
    assert report["verdict"]["code"] == "usb-cable" and facts["flash.app_crc"] == "ok"
    states = {s["number"]: s["state"] for s in facts["flash.sectors"]}
    assert states[8] == states[9] == states[10] == "unknown"  # erased at both ends; not read whole
    assert facts["flash.bytes_read"] < 520 * 1024  # the app sectors and the bootloader; was 923,326
    # a backup's own analysis (bytes in hand) stays exact
    exact = analyze(BytesReader(flash(board)))
    assert [s.state for s in exact.sectors][8:11] == ["blank"] * 3
