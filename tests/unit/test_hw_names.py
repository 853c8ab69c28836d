"""Issue 15: every HW name any release defines, VESC Tool's firmware folders and the `_o_` rule; `--answer hw=`
takes any of them case-insensitively, says which firmware folders match, refuses unknown ones with close matches."""
from __future__ import annotations

import pytest

from vescdoctor.cli import main
from vescdoctor.diagnosis import parse_answers
from vescdoctor.errors import InputError
from vescdoctor.knowledge.hw_names import FIRMWARE_FOLDERS, HW_NAMES, folder_parts, folders_for, resolve_hw
from vescdoctor.knowledge.hw_names_data import HW_NAME_SOURCES

OLDER_NAMES = ["A50S V2.1 12S", "A50S V2.1 6S", "UXV_SR", "DAS_MINI", "MINI4", "Cheap FOCer 2", "Little FOCer",
               "DAS_RS", "UAVC_OMEGA", "BINAR", "PALTA", "RESC"]


def test_the_list_holds_the_master_names_and_the_older_ones_with_sources():
    assert len(HW_NAMES) >= 190 and set(OLDER_NAMES) <= HW_NAMES
    assert all(":hwconf/" in src and src.rsplit(":", 1)[1].isdigit() for src in HW_NAME_SOURCES.values())


def test_folders_split_on_o_case_insensitively():
    assert folder_parts("410_o_411_o_412") == ["410", "411", "412"]
    assert folder_parts("60_O_75_300") == ["60", "75_300"]
    exact, near = folders_for("410")
    assert exact == ["410_o_411_o_412"] and not near
    assert "A200S_v2.1" in folders_for("A200S V2.1")[1] and "GO_FOC_HV200" in folders_for("Go-FOC HV200")[1]
    assert "A200S_V2.1" in FIRMWARE_FOLDERS


@pytest.mark.parametrize("given,meant", [
    ("cheap focer 2", "Cheap FOCer 2"), ("a50s v2.1 12s", "A50S V2.1 12S"), ("uxv_sr", "UXV_SR"),
    ("A200S_v2.1", "A200S V2.1"), ("go_foc_hv200", "Go-FOC HV200"), ("410_O_411_O_412", "410"), ("mini4", "MINI4"),
    ("Little FOCer", "Little FOCer"), ("little_focer", "Little_FOCer"), ("4.12", "410"), ("UNSURE", "unsure")])
def test_answer_hw_takes_names_and_folders_in_any_case(given, meant):
    assert parse_answers([f"hw={given}"]) == {"hw": meant}


@pytest.mark.parametrize("name", sorted(HW_NAMES))
def test_every_known_name_is_accepted_as_itself(name):
    assert resolve_hw(name).name == name
    assert resolve_hw(name.lower()).name.lower() == name.lower()


def test_unknown_names_are_refused_with_close_matches(capsys):
    with pytest.raises(InputError) as err:
        parse_answers(["hw=cheap focer 3"])
    assert "close matches:" in str(err.value) and "Cheap FOCer 2" in str(err.value)
    assert main(["diagnose", "--answer", "hw=flipsky_75_4500"]) == 2
    line = capsys.readouterr().err.strip()
    assert "Flipsky_75_450" in line and len(line.splitlines()) == 1


@pytest.mark.slow
def test_the_answer_says_which_firmware_folders_match(tmp_path, capsys):
    board = tmp_path / "b"
    assert main(["sim", "create", "healthy", str(board)]) == 0
    capsys.readouterr()
    main(["diagnose", "--sim", str(board), "--answer", "hw=410_o_411_o_412", "--json"])
    err = capsys.readouterr().err
    assert "hw: 410 (defined in bldc master:hwconf/" in err and "VESC Tool firmware folders: 410_o_411_o_412" in err


def test_probe_ids_as_pyocd_knows_them():
    from vescdoctor.knowledge.usb_ids import DEBUG_PROBES, debug_probe

    for pid in (0x374A, 0x3754, 0x3755, 0x3757, 0x3748, 0x374B, 0x3752, 0x374E, 0x374F, 0x3753):
        assert DEBUG_PROBES[(0x0483, pid)].usable
    assert not debug_probe(0x0483, 0x374D).usable  # the V3 in its own DFU mode
    clone = debug_probe(0xC251, 0xF001, "Mini CMSIS-DAP by acme")
    assert clone is not None and clone.kind == "cmsis-dap"
    assert debug_probe(0x1234, 0x5678, "USB keyboard") is None
