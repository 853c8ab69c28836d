"""rules/plans.yaml: loads, every step registered, bad files give FILE:LINE; make_plan without any chip access."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from vescdoctor.commands.wording import error_text
from vescdoctor.errors import InputError
from vescdoctor.fixes.plan import make_plan
from vescdoctor.fixes.plans_file import load_plans
from vescdoctor.fixes.steps import STEPS
from vescdoctor.graph.loader import load_graph
from vescdoctor.images import LoadedImage
from vescdoctor.sim import imagegen

from testdata import FIRMWARE_DIR, needs_firmware


def test_builtin_plans_load_and_cover_every_fixable_verdict():
    book = load_plans()
    assert set(book.verdicts) == {"app-missing", "bootloader-missing", "bootloader-too-old", "firmware-crc-mismatch",
                                  "wrong-hardware-firmware", "unknown-firmware", "read-protected", "write-protected",
                                  "firmware-not-running"}
    assert all(step in STEPS for plan in book.verdicts.values() for step in plan.steps)
    load_graph()  # plans.yaml beside the graph is not read as graph nodes


@pytest.mark.parametrize("text,needle,line", [
    ("plans: vescdoctor-fix-plans\nversion: 1\norder: [backup]\n", "lacks the steps", 3),
    ("plans: vescdoctor-fix-plans\nversion: 1\norder: [warn-no-backup, backup, unlock-rdp, clear-wrp, mass-erase, "
     "erase-config, erase-lisp, write-bootloader, write-firmware, restore-config, reset, reprobe]\nverdicts:\n"
     "  app-missing: {why: x, steps: [backup, flash-it]}\n",
     "unknown step 'flash-it'", 5),
    ("plans: vescdoctor-fix-plans\nversion: 1\norder: [warn-no-backup, backup, unlock-rdp, clear-wrp, mass-erase, "
     "erase-config, erase-lisp, write-bootloader, write-firmware, restore-config, reset, reprobe]\nverdicts:\n"
     "  app-gone: {why: x, steps: [backup]}\n", "not a verdict", 5),
])
def test_bad_plans_file_names_file_and_line(tmp_path, text, needle, line):
    path = tmp_path / "plans.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_plans(path)
    assert needle in str(info.value) and f"{path}:{line}" in str(info.value)


def diagnosis(verdict, findings=(), facts=None, answers=None):
    result = SimpleNamespace(findings=[verdict, *findings], facts={"swd.rdp_level": 0, "swd.wrp_sectors": [],
                                                                    **(facts or {})}, answers=answers or {})
    return SimpleNamespace(verdict=verdict, result=result)


def image(data, name="x.bin"):
    return LoadedImage(data, None, "bin", Path(name))


FW = image(imagegen.firmware("410", "5.03", "release5"), "fw.bin")
BL = image(imagegen.bootloader(), "bl.bin")


def test_forum_plan_bootloader_then_firmware_config_sectors_skipped():
    plan = make_plan(diagnosis("app-missing", ["bootloader-missing"], {"flash.buffer_hw": "410"}),
                     bootloader=BL, firmware=FW, board_hw="410")
    assert plan.step_names == ["backup", "write-bootloader", "write-firmware", "reset", "reprobe"]
    assert plan.erase_sectors == [0, 3, 4, 5, 6, 11] and plan.destructive
    assert [(a, w) for a, _, w in plan.writes][1:] == [(0x08000000, "firmware (sector 0)"), (0x0800C000, "firmware")]
    assert any("Sectors to erase: 0 (0x08000000" in line for line in plan.describe())


def test_refusals():
    with pytest.raises(InputError, match="needs a bootloader image"):
        make_plan(diagnosis("app-missing", ["bootloader-missing"], {"flash.buffer_hw": "410"}), bootloader=None,
                  firmware=FW)
    with pytest.raises(InputError) as refused:
        make_plan(diagnosis("app-missing"), bootloader=None, firmware=FW)
    assert "--answer hw=NAME" in error_text(refused.value)
    with pytest.raises(InputError, match="built for HW 60"):
        make_plan(diagnosis("app-missing"), bootloader=None,
                  firmware=image(imagegen.firmware("60", "5.03", "release5")), board_hw="410")
    with pytest.raises(InputError, match="not a bootloader"):
        make_plan(diagnosis("bootloader-missing"), bootloader=FW, firmware=None)
    with pytest.raises(InputError, match="no fix"):
        make_plan(diagnosis("usb-cable"), bootloader=None, firmware=None)
    old = image(imagegen.bootloader(compression=False))
    with pytest.raises(InputError, match="compression"):
        make_plan(diagnosis("bootloader-too-old"), bootloader=old, firmware=None)


def test_read_protected_plan_warns_and_erases_everything():
    plan = make_plan(diagnosis("read-protected", facts={"swd.rdp_level": 1}), bootloader=BL, firmware=FW,
                     board_hw="410")
    assert plan.step_names[:2] == ["warn-no-backup", "unlock-rdp"] and "backup" not in plan.step_names
    assert plan.erase_sectors == list(range(12)) and "none possible" in plan.backup_note
    assert "ERASES THE WHOLE FLASH" in plan.warnings[0]


def test_write_protected_with_skippable_finding():
    plan = make_plan(diagnosis("write-protected", ["bootloader-too-old"], {"swd.wrp_sectors": [11]}),
                     bootloader=None, firmware=None)
    assert plan.step_names == ["backup", "clear-wrp", "reset", "reprobe"]
    assert any("bootloader-too-old" in w for w in plan.warnings)


@needs_firmware
def test_bootloader_for_other_hardware_is_refused_and_generic_fits_all():
    hw4x = image((FIRMWARE_DIR / "bootloader_hw4x_2022-12.bin").read_bytes(), "bootloader_hw4x.bin")
    generic = image((FIRMWARE_DIR / "bootloader_generic_2022-12.bin").read_bytes(), "generic.bin")
    board_60 = diagnosis("bootloader-missing", answers={"hw": "60"})
    with pytest.raises(InputError, match=r"is for HW 40, 47, 48, 410, 411, 412, DAS_RS, not this board's HW 60"):
        make_plan(board_60, bootloader=hw4x, firmware=None)
    assert make_plan(board_60, bootloader=generic, firmware=None).erase_sectors == [11]
    assert make_plan(diagnosis("bootloader-missing", answers={"hw": "410"}), bootloader=hw4x,
                     firmware=None).erase_sectors == [11]


def test_rules_check_validates_the_plans_beside_the_graph(tmp_path, capsys):
    from vescdoctor.cli import main
    from vescdoctor.graph.loader import builtin_rules_path

    for f in builtin_rules_path().glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    assert main(["rules", "check", str(tmp_path)]) == 0
    assert "fix plans:" in capsys.readouterr().out
    plans = tmp_path / "plans.yaml"
    plans.write_text(plans.read_text().replace("write-bootloader", "write-bootlaoder", 1))
    assert main(["rules", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{plans}:" in err and "unknown step 'write-bootlaoder'" in err


# -- issue 12, item 1: `rules check` proves every plan safe ---------------------------------------------------------
ORDER = ("order: [warn-no-backup, backup, unlock-rdp, clear-wrp, mass-erase, erase-config, erase-lisp, "
         "write-bootloader, write-firmware, restore-config, reset, reprobe]\n")


def _rules_dir(tmp_path, plans_text):
    import shutil

    from vescdoctor.graph.loader import builtin_rules_path

    shutil.copy(builtin_rules_path() / "triage.yaml", tmp_path / "triage.yaml")
    (tmp_path / "plans.yaml").write_text("plans: vescdoctor-fix-plans\nversion: 1\n" + plans_text)
    return tmp_path


@pytest.mark.parametrize("text,needle", [
    (ORDER + "verdicts:\n  app-missing: {why: x, steps: [write-firmware, reset, reprobe]}\n",
     "destroys data but no 'backup'"),
    ("order: [warn-no-backup, unlock-rdp, clear-wrp, mass-erase, erase-config, erase-lisp, write-bootloader, "
     "write-firmware, restore-config, backup, reset, reprobe]\n"
     "verdicts:\n  app-missing: {why: x, steps: [backup, write-firmware, reset, reprobe]}\n",
     "comes before 'backup'/'warn-no-backup' in order"),
    (ORDER + "verdicts:\n  app-missing: {why: x, steps: [backup, write-firmware]}\n"
     "  healthy: {why: x, steps: [backup, write-firmware]}\n", "nothing may be erased on a healthy board"),
    (ORDER + "verdicts:\n  bootloader-missing: {why: x, steps: [reset, reprobe]}\n"
     "findings:\n  app-missing: {steps: [write-firmware], if_missing: refuse}\n", "with the steps findings may add"),
    (ORDER + "verdicts:\n  app-missing: {why: x, steps: [warn-no-backup, write-firmware]}\n",
     "must lift it ('unlock-rdp')"),
    (ORDER + "verdicts:\n  read-protected: {why: x, steps: [unlock-rdp, write-firmware]}\n",
     "'unlock-rdp' destroys data but no 'backup'"),
    (ORDER + "verdicts:\n  firmware-not-running:\n    why: x\n    steps: [backup, erase-config]\n    causes:\n"
     "      v-firmware-not-running-lisp: {why: y, steps: [erase-lisp, reset]}\n", "destroys data but no 'backup'"),
])
def test_rules_check_refuses_a_plan_that_destroys_before_a_backup(tmp_path, capsys, text, needle):
    from vescdoctor.cli import main

    rules = _rules_dir(tmp_path, text)
    assert main(["rules", "check", str(rules)]) == 2
    err = capsys.readouterr().err
    assert needle in err and f"{rules / 'plans.yaml'}" in err, err
    with pytest.raises(InputError, match="unsafe fix plan"):  # and no fix ever runs it
        load_plans(rules / "plans.yaml")


def test_make_plan_refuses_an_unsafe_book_built_in_code():
    from vescdoctor.fixes.plans_file import PlanBook, VerdictPlan

    book = load_plans()
    unsafe = PlanBook(order=book.order, verdicts={"app-missing": VerdictPlan("app-missing", "x", (
        "write-firmware", "reset"), "here")}, path="code")
    with pytest.raises(InputError, match="unsafe fix plan"):
        make_plan(diagnosis("app-missing"), bootloader=None, firmware=FW, board_hw="410", book=unsafe)


def test_wrong_chip_has_a_manual_plan_that_writes_nothing(tmp_path):
    from vescdoctor.errors import InputError
    from vescdoctor.fixes.plans_file import load_plans, plans_path

    book = load_plans()
    assert "wrong-chip" in book.manual and "wrong-chip" not in book.verdicts
    bad = tmp_path / "plans.yaml"
    bad.write_text(plans_path().read_text().replace("    manual: true", "    manual: true\n    steps: [backup]"))
    with pytest.raises(InputError, match="takes no steps"):
        load_plans(bad)


# -- issue 17: a verdict's plan per cause (`causes:`, keyed by the verdict node the diagnosis ended on) -------------
def test_the_cause_the_diagnosis_ended_on_chooses_the_plan():
    def ended_on(node, facts):
        found = diagnosis("firmware-not-running", facts=facts)
        found.result.verdict = SimpleNamespace(node=node)
        return found

    script = {"flash.sectors": [{"number": 9, "role": "qml", "state": "blank"},
                                {"number": 10, "role": "lispbm", "state": "data", "detail": "LispBM scripts"}]}
    lisp = make_plan(ended_on("v-firmware-not-running-lisp", script), bootloader=None, firmware=None)
    assert lisp.step_names == ["backup", "erase-lisp", "reset", "reprobe"]
    assert lisp.erase_sectors == [10] and lisp.script_sectors == [10]
    assert "Scripts and data erased (the backup keeps them): sector 10 (LispBM scripts)" in lisp.describe()
    config = make_plan(ended_on("v-firmware-not-running", script), bootloader=None, firmware=None)
    assert config.step_names == ["backup", "erase-config", "reset", "reprobe"] and config.erase_sectors == [1, 2]
    everything = make_plan(ended_on("v-firmware-not-running-lisp", script), bootloader=BL, firmware=FW,
                           erase_all=True, board_hw="410")
    assert "erase-lisp" not in everything.step_names and "mass-erase" in everything.step_names


@pytest.mark.parametrize("cause,needle", [
    ("v-nowhere: {why: y, steps: [backup, erase-lisp]}", "cause 'v-nowhere' of 'firmware-not-running' is no verdict"),
    ("v-usb-cable: {why: y, steps: [backup, erase-lisp]}", "cause 'v-usb-cable' of 'firmware-not-running' is no"),
    ("v-firmware-not-running-lisp: {why: y, steps: [backup, erase-lisp], when: x}", "expected {why: TEXT"),
])
def test_rules_check_names_a_bad_cause(tmp_path, capsys, cause, needle):
    from vescdoctor.cli import main

    text = (ORDER + "verdicts:\n  firmware-not-running:\n    why: x\n    steps: [backup, erase-config]\n"
            f"    causes:\n      {cause}\n")
    rules = _rules_dir(tmp_path, text)
    assert main(["rules", "check", str(rules)]) == 2
    err = capsys.readouterr().err
    assert needle in err and f"{rules / 'plans.yaml'}:9" in err, err


@pytest.mark.parametrize("keep, words", [(True, "erased with the whole chip, then written back from the backup"),
                                         (False, "erased with the whole chip, then left blank (the backup keeps")])
def test_erase_all_plan_says_the_config_is_erased_not_kept(keep, words):
    plan = make_plan(diagnosis("app-missing", ["bootloader-missing"], {"flash.buffer_hw": "410"}),
                     bootloader=BL, firmware=FW, board_hw="410", erase_all=True, keep_config=keep)
    config = [line for line in plan.describe() if line.startswith("Config sectors 1-2")]
    assert len(config) == 1 and words in config[0] and "kept as they are" not in config[0]
