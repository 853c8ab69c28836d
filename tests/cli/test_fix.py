"""`vescdoctor fix` on simulated boards, in process through the CLI: recoveries, refusals, consent, interruptions."""
from __future__ import annotations

import json
import os
import time
import types
from pathlib import Path

import pytest

from vescdoctor.cli import main
from vescdoctor.fixes import execute
from vescdoctor.fixes.backup import chronological
from vescdoctor.sim import imagegen

from board_support import fix, fix_bricked, flash, last_line, make
from testdata import FIRMWARE_DIR, SCENARIOS_DIR, needs_firmware, needs_scenarios

BASE, BOOT = 0x08000000, 0x080E0000
CONFIG = slice(0x4000, 0xC000)
SECTOR11 = slice(BOOT - BASE, None)


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in (("bl", imagegen.bootloader()), ("fw", imagegen.firmware("410", "5.03", "release5")),
                       ("fw60", imagegen.firmware("60", "5.03", "release5")),
                       ("fwsmall", imagegen.firmware("410", "5.03", "small"))):
        out[name] = tmp_path / f"{name}.bin"
        out[name].write_bytes(data)
    big = bytearray(imagegen.firmware("410", "5.03", "release5"))
    big += b"\x00" * (BOOT - BASE - len(big) + 0x100)  # runs into sector 11
    out["overlap"] = tmp_path / "overlap.bin"
    out["overlap"].write_bytes(bytes(big))
    return out


# The forum board's hardware shows only in the update in its buffer: a hint, which the user confirms.
HW410 = ("--answer", "hw=410")


def no_backups(tmp_path: Path) -> bool:
    """No backup was written (the directory itself is created, and checked writable, before the diagnosis)."""
    return not list((tmp_path / "backups").glob("*"))


def verdict(board: Path, capsys, *extra: str) -> str:
    capsys.readouterr()
    main(["diagnose", "--sim", str(board), "--json", *extra])
    return json.loads(capsys.readouterr().out)["verdict"]["code"]


def check_recovered(board: Path, before: bytes, bl: bytes, fw: bytes, tmp_path: Path, capsys,
                    backup: bool = True) -> None:
    after = flash(board)
    assert after[BOOT - BASE:BOOT - BASE + len(bl)] == bl
    assert after[:0x4000] == fw[:0x4000]
    crc_at = 0x0805FFF0 - BASE if len(fw) == 393208 else len(fw)
    assert after[0xC000:crc_at] == fw[0xC000:crc_at]  # the CRC words change at first boot, by design
    if backup:
        assert after[CONFIG] == before[CONFIG]
        files = chronological((tmp_path / "backups").glob("*.bin"))
        assert files and files[0].read_bytes() == before  # the first fix's backup: the flash before any write
        meta = json.loads(files[0].with_suffix(".json").read_text())
        assert meta["sha256"] and meta["option_bytes"]["rdp_level"] == 0 and meta["board_uid"]
    assert verdict(board, capsys) == "healthy"


@pytest.mark.slow
def test_forum_case_builtin_recovered_with_bootloader_and_firmware(tmp_path, images, capsys):
    board = make(tmp_path, "bricked-update")
    before = flash(board)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes",
               *HW410) == 0
    check_recovered(board, before, images["bl"].read_bytes(), images["fw"].read_bytes(), tmp_path, capsys)


@pytest.mark.slow
@needs_firmware
@needs_scenarios
def test_forum_case_with_real_images(tmp_path, capsys):
    board = make(tmp_path, str(SCENARIOS_DIR / "seed-after-update-410.yaml"))
    before = flash(board)
    bl, fw = FIRMWARE_DIR / "bootloader_hw4x_2022-12.bin", FIRMWARE_DIR / "fw_410_2022-01.bin"
    assert fix(board, tmp_path, "--bootloader", str(bl), "--firmware", str(fw), "--yes", *HW410) == 0
    check_recovered(board, before, bl.read_bytes(), fw.read_bytes(), tmp_path, capsys)


@pytest.mark.slow
def test_json_report_holds_only_the_report_with_actions_and_backup(tmp_path, images, capsys):
    board = make(tmp_path, "bricked-update")
    capsys.readouterr()
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes",
               "--json", *HW410) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["command"] == "fix" and report["verdict"]["code"] == "app-missing"
    assert [a["step"] for a in report["actions"]] == ["backup", "write-bootloader", "write-firmware", "reset",
                                                      "reprobe"]
    assert all(a["ok"] for a in report["actions"]) and report["backup"]["sha256"]
    assert report["after"]["verdict"] == "healthy"
    bench = report["bench"]  # a simulated run: what it would have cost on the real pair (docs/bench.md)
    assert bench["probe"] == "stlink-v2" and bench["bytes_written"] > 0 and bench["chip_seconds"] > 0
    assert bench["modelled_seconds"] >= max(bench["chip_seconds"], bench["link_seconds"])


@pytest.mark.slow
def test_read_protected_recovered_with_the_warning(tmp_path, images, capsys):
    board = make(tmp_path, "read-protected")
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes",
               "--answer", "hw=410") == 0
    err = capsys.readouterr().err
    assert "ERASES THE WHOLE FLASH" in err and "no backup is possible" in err
    assert "rdp: 0xaa" in (board / "board.yaml").read_text().lower() or "170" in (board / "board.yaml").read_text()
    check_recovered(board, b"", images["bl"].read_bytes(), images["fw"].read_bytes(), tmp_path, capsys,
                    backup=False)


def test_read_protected_without_hw_is_refused_asking_for_it(tmp_path, images, capsys):
    board = make(tmp_path, "read-protected")
    before = flash(board)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes") == 2
    assert "--answer hw=" in capsys.readouterr().err
    assert flash(board) == before


@pytest.mark.slow
def test_write_protected_recovered_and_wrp_cleared(tmp_path, images, capsys):
    board = make(tmp_path, "write-protected")
    before = flash(board)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--yes") == 0
    assert "write protection is removed from sector(s) 11" in capsys.readouterr().err
    after = flash(board)
    assert after[:BOOT - BASE] == before[:BOOT - BASE]  # only sector 11 changed
    assert after[BOOT - BASE:BOOT - BASE + len(images["bl"].read_bytes())] == images["bl"].read_bytes()
    assert verdict(board, capsys) == "healthy"


@pytest.mark.slow
def test_firmware_only_keeps_config_and_bootloader_byte_for_byte(tmp_path, images, capsys):
    board = make(tmp_path, "app-erased")
    cfg = bytearray(flash(board))
    cfg[0x4000:0x4004] = b"\x00\x00\xff\xff"
    cfg[0x4004:0x4404] = bytes(range(256)) * 4
    (board / "flash.bin").write_bytes(bytes(cfg))
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", "--answer", "hw=410") == 0
    after = flash(board)
    assert after[CONFIG] == bytes(cfg[CONFIG]) and after[SECTOR11] == bytes(cfg[SECTOR11])
    assert "bootloader unchanged (sector 11" in capsys.readouterr().err


@pytest.mark.slow
def test_no_keep_config_writes_the_gap_and_warns(tmp_path, images, capsys):
    board = make(tmp_path, "app-erased")
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--no-keep-config", "--yes", "--answer", "hw=410") == 0
    assert "configuration is lost" in capsys.readouterr().err
    assert flash(board)[CONFIG] == images["fw"].read_bytes()[CONFIG]


@pytest.mark.slow
def test_probe_unplugged_mid_write_exits_1_then_a_second_fix_finishes(tmp_path, images, capsys):
    board = make(tmp_path, "bricked-update", faults="{probe_unplug_after_bytes: 65536}")
    args = ("--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes", *HW410)
    before = flash(board)
    assert fix(board, tmp_path, *args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "probe was lost" in err and "backup:" in err
    last = [line for line in err.splitlines() if line.startswith("vescdoctor:")]
    assert len(last) == 1
    assert verdict(board, capsys) != "healthy"
    assert fix(board, tmp_path, *args) == 0
    check_recovered(board, before, images["bl"].read_bytes(), images["fw"].read_bytes(), tmp_path, capsys)


@pytest.mark.slow
def test_power_lost_mid_erase_exits_1_cleanly(tmp_path, images, capsys):
    # A board whose app sectors hold (wrong) firmware: they must really be erased (blank ones are not).
    board = make(tmp_path, "wrong-hw-firmware", faults="{power_loss_after_erases: 2}")
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", "--answer", "hw=410") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "fix did not complete" in err


@pytest.mark.parametrize("image,needle", [("fw60", "built for HW 60"), ("overlap", "overlaps sector 11"),
                                          ("bl", "this is a bootloader")])
def test_bad_firmware_refused_before_any_write(tmp_path, images, capsys, image, needle):
    board = make(tmp_path, "bricked-update")
    before = flash(board)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images[image]), "--yes") == 2
    assert needle in capsys.readouterr().err
    assert flash(board) == before and no_backups(tmp_path)


def test_firmware_as_bootloader_and_missing_file_refused(tmp_path, images, capsys):
    board = make(tmp_path, "bricked-update")
    before = flash(board)
    assert fix(board, tmp_path, "--bootloader", str(images["fw"]), "--firmware", str(images["fw"]), "--yes") == 2
    assert "not a bootloader" in capsys.readouterr().err
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes") == 2
    assert "needs a bootloader image" in capsys.readouterr().err
    assert fix(board, tmp_path, "--firmware", str(tmp_path / "nope.bin"), "--yes") == 2
    assert flash(board) == before


def test_no_yes_without_a_tty_refuses_and_dry_run_changes_nothing(tmp_path, images, capsys):
    board = make(tmp_path, "bricked-update")
    before = flash(board)
    args = ("--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), *HW410)
    assert fix(board, tmp_path, *args) == 2
    assert "--yes" in capsys.readouterr().err
    assert fix(board, tmp_path, *args, "--dry-run") == 0
    out = capsys.readouterr().out
    # The forum case: only sector 11 holds data to erase; the blank app sectors are written without an erase.
    assert "Sectors to erase: 11 (0x080E0000" in out and "Backup first: the whole flash" in out
    assert "Sectors to write without an erase (already blank): 0 (0x08000000" in out
    # a plan speaks in the future tense and in plain words
    assert "Will write: bootloader at 0x080E0000" in out and "Written:" not in out
    assert "all blank already, so nothing needs erasing" in out and "no erase;" not in out
    assert flash(board) == before and no_backups(tmp_path)


def test_healthy_board_has_nothing_to_fix(tmp_path, capsys):
    board = make(tmp_path, "healthy")
    before = flash(board)
    assert fix(board, tmp_path, "--yes") == 0
    assert "nothing to fix" in capsys.readouterr().out
    assert flash(board) == before


def chip_seconds(board: Path) -> float:
    from vescdoctor.sim.board import Board

    return Board.load(board).config.chip_seconds


def floor_seconds(before: bytes, after: bytes) -> float:
    """Datasheet time of the least a repair can do with pyOCD's flash algorithm: erase the sectors that held data
    and had to change, program the words that differ from erased (DS8626: 16 us a word; pyOCD's F412 algorithm
    erases with PSIZE x8: 0.4/1.2/2 s per 16/64/128K sector, where x32 would take 0.25/0.55/1 s)."""
    from vescdoctor.knowledge.flash import FLASH_BASE, SECTORS

    erase = {16384: 0.4, 65536: 1.2, 131072: 2.0}
    total = 0.0
    for sector in SECTORS:
        lo, hi = sector.address - FLASH_BASE, sector.end - FLASH_BASE
        old, new = before[lo:hi], after[lo:hi]
        if old != new and old.count(0xFF) != len(old):
            total += erase[sector.size]
        words = [new[i:i + 4] for i in range(0, len(new), 4)]
        olds = [old[i:i + 4] for i in range(0, len(old), 4)]
        total += 16e-6 * sum(1 for w, o in zip(words, olds) if w != o and w != b"\xff\xff\xff\xff")
    return total


@pytest.mark.slow
def test_forum_fix_erases_no_blank_sector(tmp_path, images):
    """The app sectors of the forum case are already blank: the fix erases only sector 11 and stays within 1.15x
    of the chip's floor (a full-chip-erase plan costs 8 s for the erase alone)."""
    board = make(tmp_path, "bricked-update")
    before, start = flash(board), chip_seconds(board)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes",
               *HW410) == 0
    spent = chip_seconds(board) - start
    floor = floor_seconds(before, flash(board))
    assert spent <= 1.15 * floor, (spent, floor)


def test_verdict_without_a_plan_is_a_problem_found_not_bad_input(tmp_path, capsys):
    board = make(tmp_path, "charge-only-cable")
    before = flash(board)
    assert fix(board, tmp_path, "--yes") == 1
    err = capsys.readouterr().err
    assert "usb-cable" in err and "nothing to write to the chip" in err and "Traceback" not in err
    assert flash(board) == before and no_backups(tmp_path)


@pytest.mark.slow
def test_a_verify_failure_leaves_no_runnable_image(tmp_path, images, capsys):
    """A flash cell that will not take the firmware's byte: the fix fails at verify, and because the vector table
    is written only after the rest verified, the chip cannot start the wrong image: the next look says
    app-missing (not healthy), and the bootloader written before is intact."""
    board = make(tmp_path, "bricked-update", faults="{stuck_bits: [{addr: 0x08010000, value: 0x00}]}")
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes",
               *HW410) == 1
    err = capsys.readouterr().err
    assert "verify failed for the firmware" in err and "0x08010000" in err
    after = flash(board)
    assert after[0:8] == b"\xff" * 8  # no vector table
    bl = images["bl"].read_bytes()
    assert after[0xE0000:0xE0000 + len(bl)] == bl
    assert verdict(board, capsys) == "app-missing"


@pytest.mark.slow
def test_after_an_interrupted_fix_the_board_hw_comes_from_its_own_backup(tmp_path, images, capsys):
    """Power lost while the firmware's sectors were erased: the chip holds no firmware and no update to tell its
    hardware any more, but the backup made before the first attempt does; the second fix needs no --answer hw."""
    board = make(tmp_path, "wrong-hw-firmware", faults="{power_loss_after_erases: 2}")
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes", "--answer", "hw=410") == 1
    text = (board / "board.yaml").read_text()
    (board / "board.yaml").write_text(text.replace("power: 'off'", "power: 'on'").replace("power: off", "power: on"))
    capsys.readouterr()
    # The first backup holds HW 60 firmware (the wrong one), but the first fix recorded the board's HW with it.
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes") == 0
    assert verdict(board, capsys) == "healthy"


@pytest.mark.slow
def test_a_second_fix_takes_the_board_hw_from_its_backup(tmp_path, images, capsys):
    board = make(tmp_path, "crc-mismatch", faults="{power_loss_after_erases: 1}")
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes") == 1
    text = (board / "board.yaml").read_text()
    (board / "board.yaml").write_text(text.replace("power: 'off'", "power: 'on'").replace("power: off", "power: on"))
    capsys.readouterr()
    assert fix(board, tmp_path, "--firmware", str(images["fw"]), "--yes") == 0
    assert "your backup" in capsys.readouterr().err or verdict(board, capsys) == "healthy"


def test_json_still_holds_the_diagnosis_when_the_fix_is_refused(tmp_path, images, capsys):
    board = make(tmp_path, "bricked-update")
    before = flash(board)
    assert fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw60"]), "--yes",
               "--json") == 2
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["verdict"]["code"] == "app-missing" and not report["actions"]
    assert err.strip().splitlines()[-1].startswith("vescdoctor:") and "built for HW 60" in err
    assert flash(board) == before


def test_both_missing_images_are_named_in_one_line(tmp_path, capsys):
    board = make(tmp_path, "bricked-update")
    before = flash(board)
    capsys.readouterr()
    assert fix(board, tmp_path, "--yes", "--answer", "hw=410") == 2
    line = last_line(capsys.readouterr().err)
    assert "needs a bootloader image" in line and "and a firmware image" in line
    assert "pass --bootloader FILE and --firmware FILE" in line
    assert flash(board) == before


NEEDS_RESET_BRICKED = SCENARIOS_DIR / "needs-reset-bricked.yaml"


# -- A board that answers SWD only under reset ------------------------------------------------------------------------

def needs_reset_bricked(tmp_path: Path) -> Path:
    """The shared scenario when ../shared is there; otherwise the same board from the built-in app-erased one."""
    if NEEDS_RESET_BRICKED.exists():
        return make(tmp_path, str(NEEDS_RESET_BRICKED))
    board = make(tmp_path, "app-erased")
    yaml = board / "board.yaml"
    yaml.write_text(yaml.read_text().replace("swd: ok", "swd: needs-reset"))
    return board


@pytest.mark.slow
def test_fix_on_a_board_reachable_only_under_reset_completes(tmp_path, images, capsys):
    board = needs_reset_bricked(tmp_path)
    assert "swd: needs-reset" in (board / "board.yaml").read_text()
    capsys.readouterr()
    rc = main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), "--answer", "hw=410",
               "--firmware", str(images["fw"]), "--yes", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["after"]["verdict"] == "swd-needs-reset" and doc["after"]["findings"] == ["swd-needs-reset"]
    assert [a["ok"] for a in doc["actions"]] == [True] * 4
    assert "ok  reset" in err and "FAILED" not in err
    assert "Fix done" in err and "fix did not complete" not in err
    # and a diagnosis afterwards finds nothing but the finding
    capsys.readouterr()
    assert main(["diagnose", "--sim", str(board), "--json", "--answer", "hw=410"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["findings"] == ["swd-needs-reset"]


@pytest.mark.slow
def test_fix_on_the_bench_says_how_long_usb_took_without_sleeping(tmp_path, images, capsys, monkeypatch):
    slept = []
    monkeypatch.setattr(execute, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=slept.append))
    board = make(tmp_path, "bricked-update")
    capsys.readouterr()
    assert fix_bricked(board, tmp_path, images) == 0
    err = capsys.readouterr().err
    reprobe = err[err.index("[reprobe]"):]
    assert "USB: the VESC (0483:5740) enumerated after 0.0 s" in reprobe.splitlines()[1]
    assert slept == []


def test_the_command_to_run_again_is_this_repairs_own():
    from vescdoctor.commands.common import fix_command, with_own_command

    again = fix_command(sim="/tmp/my board", bootloader="bl.bin", firmware="fw.bin", backup_dir="b",
                        keep_config=False, answers=["hw=410"])
    assert again == "vescdoctor fix --sim '/tmp/my board' --bootloader bl.bin --firmware fw.bin --backup-dir b " \
                    "--answer=hw=410 --no-keep-config" or os.name == "nt"
    said = with_own_command("write-firmware failed: x; run `vescdoctor fix` again to finish", again)
    assert f"run `{again}` again to finish" in said


def test_the_demo_says_the_demos_own_command(tmp_path):
    from vescdoctor.commands.tui import demo_again, make_demo

    demo = make_demo(tmp_path)
    said = demo_again(demo)
    assert f"--sim {demo['board']}" in said and f"--firmware {demo['firmware']}" in said
