"""The fresh look after a fix reuses the flash the fix proved with the chip's CRCs (target.proven_flash), and sees
the same board a diagnosis of its own sees."""
from __future__ import annotations

import json

import pytest

from vescdoctor.cli import main
from vescdoctor.fixes import execute
from vescdoctor.flash_analysis import BytesReader, analyze
from vescdoctor.knowledge.flash import CRC_FLAG_ADDR, FLASH_BASE, FLASH_SIZE, SECTORS
from vescdoctor.target import proven_flash

from board_support import fix_bricked, make

SAME = ("flash.sectors", "flash.app_crc", "flash.app_hw", "flash.config_pages", "flash.buffer_present",
        "flash.buffer_crc_ok", "flash.buffer_hw", "flash.bootloader_state", "flash.bootloader_name")


def test_the_proven_reader_reads_what_the_firmware_may_change_from_the_chip():
    proven = bytearray(b"\xff" * FLASH_SIZE)
    chip = bytearray(proven)
    chip[SECTORS[1].address - FLASH_BASE:SECTORS[1].address - FLASH_BASE + 2] = b"\x00\x00"  # config written
    flag = CRC_FLAG_ADDR[max(CRC_FLAG_ADDR)] - FLASH_BASE
    chip[flag:flag + 8] = b"\x00" * 8  # the CRC words, written at first boot
    reader = proven_flash.ProvenReader(bytes(proven), BytesReader(bytes(chip)))
    assert analyze(reader).config[1] == "valid"
    assert reader.read(FLASH_BASE + flag, 12) == b"\x00" * 8 + b"\xff" * 4
    before = reader.bytes_read
    assert reader.read(FLASH_BASE + 0x40000, 0x1000) == b"\xff" * 0x1000 and reader.bytes_read == before


@pytest.mark.slow
def test_the_fresh_look_after_a_fix_reuses_the_proof_and_sees_what_a_diagnosis_sees(tmp_path, images, capsys,
                                                                                  monkeypatch):
    outcomes, envs = [], []
    run = execute.execute_plan

    def keep(plan, env, **kwargs):
        envs.append(env)
        outcomes.append(run(plan, env, **kwargs))
        return outcomes[-1]
    monkeypatch.setattr(execute, "execute_plan", keep)
    board = make(tmp_path, "bricked-update")
    capsys.readouterr()
    assert fix_bricked(board, tmp_path, images, "--json") == 0
    after = outcomes[0].after
    assert after.verdict == "healthy"
    facts = after.result.facts
    assert facts["flash.bytes_read"] < 64 * 1024  # not the app and the buffer again
    assert envs[0].flash_known.proven is None and not envs[0].flash_known.seen  # used once, then gone
    capsys.readouterr()
    main(["diagnose", "--sim", str(board), "--json"])
    own = json.loads(capsys.readouterr().out)["facts"]
    assert {k: facts[k] for k in SAME} == {k: own[k] for k in SAME}
    # A diagnosis of its own reads little too: the firmware answers for itself over USB (flash_analysis.Reported)


def test_proven_state_lives_on_the_environment_not_in_a_module_registry():
    from vescdoctor.environment import HostEnvironment

    one, two = HostEnvironment(), HostEnvironment()
    proven_flash.remember(one, b"\x01" * 4)
    proven_flash.remember_seen(two, [(FLASH_BASE, b"\x02" * proven_flash.BLOCK)])
    assert proven_flash.take(two) is None and proven_flash.take_seen(one) == {}
    assert proven_flash.take(one) == b"\x01" * 4 and proven_flash.take(one) is None
    assert proven_flash.take_seen(two) == {FLASH_BASE: b"\x02" * proven_flash.BLOCK}
    assert not hasattr(proven_flash, "_PROVEN") and not hasattr(proven_flash, "_SEEN")
