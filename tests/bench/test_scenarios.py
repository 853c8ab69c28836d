"""Scenario files and `vescdoctor sim create|list`: built-ins, the shared scenarios, and one-line errors on bad
input."""
from __future__ import annotations

import struct

import pytest

from vescdoctor.cli import main
from vescdoctor.errors import InputError
from vescdoctor.images import identify_bootloader
from vescdoctor.knowledge.checksums import crc16_xmodem
from vescdoctor.knowledge.verdicts import VERDICT_CODES
from vescdoctor.sim.board import Board
from vescdoctor.sim.boot import evaluate
from vescdoctor.sim.scenario import build_board, builtin_names, builtin_scenarios, find_scenario, load_scenario

from testdata import SCENARIOS_DIR, SHARED_SCENARIOS, needs_firmware, needs_scenarios

# What each built-in board does once made: (running, LEDs), as the story in its description says.
BUILTIN_STATE = {
    "healthy": ("vesc", "green"), "healthy-fw6": ("vesc", "green"), "no-probe": ("not-runnable", "blue-only"),
    "target-unpowered": ("off", "off"), "swd-no-response": ("not-runnable", "blue-only"),
    "swd-needs-reset": ("vesc", "green"), "read-protected": ("not-runnable", "blue-only"),
    "write-protected": ("vesc", "green"), "bricked-update": ("not-runnable", "blue-only"),
    "app-erased": ("not-runnable", "blue-only"), "update-did-nothing": ("vesc", "green"),
    "bootloader-too-old": ("vesc", "green"), "crc-mismatch": ("crc-fault", "red-fast"),
    "wrong-hw-firmware": ("vesc", "blue-only"), "unknown-firmware": ("other-app", "blue-only"),
    "charge-only-cable": ("vesc", "green"), "no-permission": ("vesc", "green"), "port-busy": ("vesc", "green"),
    "dfu-mode": ("dfu", "blue-only"), "config-crash": ("firmware-crash", "blue-only"),
    "lisp-crash": ("firmware-crash", "blue-only"), "update-cut-short": ("vesc", "green"),
    "watchdog-loop": ("firmware-crash", "blue-only"), "active-fault": ("vesc", "red-blink"),
    "probe-firmware-old": ("vesc", "green"),
    "healthy-fw606-lispbm": ("vesc", "green"), "fw606-packages-wiped-bootloader": ("vesc", "green"),
    "wrong-chip": ("not-runnable", "blue-only"),
    "usb-no-bootloader": ("vesc", "green"), "usb-broken-bootloader": ("vesc", "green"),
}


def buffer_header(board: Board) -> tuple[int, int]:
    return struct.unpack(">IH", board.flash[0x80000:0x80006])


# ---------------------------------------------------------------- built-ins

def test_builtins_cover_every_verdict_code():
    covered = {s.expect.verdict for s in builtin_scenarios()}
    assert covered == set(VERDICT_CODES), f"missing: {sorted(set(VERDICT_CODES) - covered)}"
    assert set(builtin_names()) == set(BUILTIN_STATE)


@pytest.mark.parametrize("name", sorted(BUILTIN_STATE))
def test_builtin_builds_and_behaves_as_described(name, tmp_path):
    scenario = find_scenario(name)
    assert scenario.builtin and scenario.description and scenario.expect.verdict in scenario.expect.findings
    board = build_board(scenario, tmp_path / "b")
    loaded = Board.load(tmp_path / "b")
    assert loaded.flash == board.flash and loaded.config == board.config
    state = evaluate(loaded)
    assert (state.running, state.led) == BUILTIN_STATE[name], state.reason


def test_bricked_update_evidence(tmp_path):
    board = build_board(find_scenario("bricked-update"), tmp_path / "b")
    assert board.flash[:0x4000] == b"\xff" * 0x4000 and board.flash[0xC000:0x80000] == b"\xff" * 0x74000
    assert identify_bootloader(bytes(board.flash[0xE0000:])) is None  # sector 11: garbage where the vectors were
    size, crc = buffer_header(board)
    assert size == 393208 and crc16_xmodem(bytes(board.flash[0x80006:0x80006 + size])) == crc
    assert board.flash[0x4000:0x4004] == b"\x00\x00\xff\xff"  # the config page survived


def test_bootloader_too_old_evidence(tmp_path):
    board = build_board(find_scenario("bootloader-too-old"), tmp_path / "b")
    assert identify_bootloader(bytes(board.flash[0xE0000:])).compression is False
    size, crc = buffer_header(board)
    assert size >> 24 == 0xCC and crc16_xmodem(bytes(board.flash[0x80006:0x80006 + (size & 0xFFFFFF)])) == crc
    assert evaluate(board).vesc.version == "5.03"


def test_update_did_nothing_evidence(tmp_path):
    board = build_board(find_scenario("update-did-nothing"), tmp_path / "b")
    assert board.flash[0xE0000:] == b"\xff" * 0x20000
    assert evaluate(board).vesc.version == "3.40" and buffer_header(board)[0] == 393208
    assert board.config.answers == {"symptom": "old-firmware-after-update"}


def test_write_protected_and_host_evidence(tmp_path):
    assert build_board(find_scenario("write-protected"), tmp_path / "w").config.option_bytes.wrp == [11]
    assert evaluate(build_board(find_scenario("no-permission"), tmp_path / "p")).serial_error == "EACCES"
    assert evaluate(build_board(find_scenario("port-busy"), tmp_path / "q")).serial_error == "EBUSY"
    assert evaluate(build_board(find_scenario("charge-only-cable"), tmp_path / "c")).usb_devices == []


def test_boot_true_applies_first_boot_even_when_the_board_ends_unpowered(tmp_path):
    board = build_board(find_scenario("target-unpowered"), tmp_path / "b")
    assert board.config.power == "off" and board.flash[0x5FFF0:0x5FFF4] == b"\x00" * 4


# ---------------------------------------------------------------- the shared scenarios (real images)

@needs_scenarios
@needs_firmware
@pytest.mark.parametrize("path", SHARED_SCENARIOS, ids=lambda p: p.stem)
def test_shared_scenario_builds(path, tmp_path):
    scenario = load_scenario(path)
    board = build_board(scenario, tmp_path / "b")
    assert Board.load(tmp_path / "b").flash == board.flash
    assert scenario.expect is not None and scenario.expect.verdict in VERDICT_CODES


@needs_scenarios
@needs_firmware
def test_shared_crc_mismatch_is_a_crc_fault(tmp_path):
    board = build_board(load_scenario(SCENARIOS_DIR / "crc-mismatch-410.yaml"), tmp_path / "b")
    assert board.flash[0x5FFF4:0x5FFF8] == struct.pack("<I", 0x933B59DF)  # the first boot ran before the edit
    assert evaluate(board).running == "crc-fault"


# ---------------------------------------------------------------- the command

def test_sim_list_names_every_builtin(capsys):
    assert main(["sim", "list"]) == 0
    out = capsys.readouterr().out
    for name in BUILTIN_STATE:
        assert f"\n{name} " in "\n" + out


def test_sim_create_refuses_to_overwrite_without_force(tmp_path, capsys):
    board = tmp_path / "board"
    assert main(["sim", "create", "healthy", str(board)]) == 0
    out = capsys.readouterr().out
    assert "healthy" in out and "now: vesc" in out
    before = (board / "flash.bin").read_bytes()
    assert main(["sim", "create", "crc-mismatch", str(board)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--force" in err and str(board) in err
    assert (board / "flash.bin").read_bytes() == before
    assert main(["sim", "create", "crc-mismatch", str(board), "--force"]) == 0
    assert (board / "flash.bin").read_bytes() != before


def test_sim_create_never_replaces_a_directory_that_is_not_a_board(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["sim", "create", "healthy", str(tmp_path), "--force"]) == 2
    assert "not a board" in capsys.readouterr().err and (tmp_path / "notes.txt").exists()


def test_sim_create_unknown_name(tmp_path, capsys):
    assert main(["sim", "create", "no-such-scenario", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-scenario" in err and "bricked-update" in err


def test_sim_create_from_file_with_relative_image(tmp_path, capsys):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "blob.bin").write_bytes(b"\x11\x22\x33\x44")
    path = tmp_path / "mine.yaml"
    path.write_text("board: {hw: '60', power: off, answers: {symptom: other}}\n"
                    "flash:\n"
                    "  - {at: 0x08010000, file: img/blob.bin}\n"
                    "  - {at: 0x08010002, erase: 1}\n"
                    "  - {at: 0x08010010, fill: 0xAB, size: 3}\n"
                    "  - {at: 0x08010020, hex: 'de ad be ef'}\n"
                    "answers: {led: off}\n")
    assert main(["sim", "create", str(path), str(tmp_path / "b")]) == 0
    board = Board.load(tmp_path / "b")
    assert board.flash[0x10000:0x10004] == b"\x11\x22\xff\x44"
    assert board.flash[0x10010:0x10014] == b"\xab\xab\xab\xff" and board.flash[0x10020:0x10024] == b"\xde\xad\xbe\xef"
    assert board.config.hw == "60" and board.config.power == "off"
    assert board.config.answers == {"symptom": "other", "led": "off"}
    assert find_scenario(str(path)).name == "mine"


def test_board_yaml_round_trips(tmp_path):
    board = build_board(find_scenario("write-protected"), tmp_path / "b")
    text = (tmp_path / "b" / "board.yaml").read_bytes()
    again = Board.load(tmp_path / "b")
    assert again.config == board.config
    again.save()
    assert (tmp_path / "b" / "board.yaml").read_bytes() == text


# ---------------------------------------------------------------- bad scenarios: one line naming FILE:LINE

BAD = [
    ("name: x\nboard: {hw: '410'}\nflahs: []\n", 3, "unknown key 'flahs'"),
    ("board:\n  hw: '410'\n  usb: wifi\n", 3, "'usb': value 'wifi' is not allowed (expected one of: data"),
    ("board: {colour: red}\n", 1, "unknown key 'colour'"),
    ("flash:\n  - {at: 0x08000000, fill: 0x1FF, size: 4}\n", 2, "'fill': value 511"),
    ("flash:\n  - {at: 0x080FFFF0, hex: '00' }\n  - {at: 0x080FFFF0, fill: 0, size: 0x20}\n", 3, "outside flash"),
    ("flash:\n  - {at: 0x07FFFFFF, erase: 4}\n", 2, "'at': value 134217727"),
    ("flash:\n  - {at: 0x08000000, file: nowhere.bin}\n", 2, "nowhere.bin not found"),
    ("flash:\n  - {at: 0x08000000, erase: 4, fill: 0}\n", 2, "exactly one of"),
    ("flash:\n  - {erase: 4}\n", 2, "missing key 'at'"),
    ("flash:\n  - {at: 0x08000000, hex: 'xyz'}\n", 2, "'hex'"),
    ("flash:\n  - {at: 0x08000000, generate: firmware, version: 6.00}\n", 2, "quoted version"),
    ("flash:\n  - {at: 0x08000000, generate: firmware, version: '6.05', size: release5}\n", 2, "release layout"),
    ("flash:\n  - {at: 0x08000000, generate: rocket}\n", 2, "'generate': value 'rocket'"),
    ("flash:\n  - {at: 0x08000000, generate: [firmware], version: '5.03'}\n", 2, "'generate': value ['firmware']"),
    ("flash:\n  - {at: 0x08000000, hex: 00000000}\n", 2, "hex bytes in quotes"),
    ("flash:\n  - {at: 0x08000000, generate: bootloader, hw: '410'}\n", 2, "unknown key 'hw'"),
    ("flash:\n  - {at: 0x080F0000, generate: firmware, version: '5.03'}\n", 2, "outside flash"),
    ("boot: yes please\n", 1, "'boot'"),
    ("after_boot:\n  - {at: 0x08000000, erase: 4}\n", 1, "need 'boot: true'"),
    ("answers: {led: purple}\n", 1, "'answers.led': value 'purple'"),
    ("expect: {verdict: broken}\n", 1, "'expect.verdict': value 'broken'"),
    ("expect:\n  verdict: healthy\n  findings: [healthy, sad]\n", 3, "'expect.findings': value 'sad'"),
    ("expect:\n  verdict: healthy\n  because: reasons\n", 3, "unknown key 'because'"),
    ("board: !!python/object:os.system {}\n", 1, "YAML"),
    ("name: [unclosed\n", 2, "YAML"),
    ("name: Bad Name\n", 1, "'name'"),
]


@pytest.mark.parametrize("text,line,message", BAD, ids=[m for _, _, m in BAD])
def test_bad_scenario_one_line_error_naming_file_and_line(text, line, message, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)
    assert main(["sim", "create", str(path), str(tmp_path / "board")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}:{line}:" in err and "Traceback" not in err
    assert not (tmp_path / "board").exists()


def test_scenario_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="expected a scenario"):
        load_scenario(path)


def test_sim_create_where_no_board_can_be_written_is_one_line_and_exit_2(tmp_path, capsys):
    from vescdoctor.cli import main

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["sim", "create", "healthy", str(blocker / "board")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write the board here" in err[0] and "Traceback" not in err[0], err
