"""rules/plans.yaml's usb section and how fix chooses the way (fast)."""
from __future__ import annotations

from pathlib import Path

import pytest

from vescdoctor.errors import InputError
from vescdoctor.fixes.plans_file import load_plans, plans_path
from vescdoctor.flows import choose_via


def test_builtin_usb_plans():
    usb = load_plans().usb
    assert set(usb) == {"healthy", "bootloader-missing", "bootloader-too-old", "no-probe"}
    assert all(p.steps == ("usb-write-bootloader",) for p in usb.values())


@pytest.mark.parametrize("bad", ["  healthy: {why: x, steps: [write-firmware]}",
                                 "  not-a-verdict: {why: x, steps: [usb-write-bootloader]}",
                                 "  healthy: {steps: [usb-write-bootloader]}"])
def test_bad_usb_section_is_refused_with_its_place(tmp_path: Path, bad: str):
    text = plans_path().read_text().split("\nusb:\n")[0] + "\nusb:\n" + bad + "\n"
    path = tmp_path / "plans.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_plans(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("asked,facts,way", [
    (None, {"swd.probe_found": False, "vesc.answered": True}, "usb"),
    (None, {"swd.probe_found": True, "vesc.answered": True}, "swd"),
    (None, {"swd.probe_found": False, "vesc.answered": False}, "swd"),
    ("usb", {"swd.probe_found": True, "vesc.answered": True}, "usb"),
    ("swd", {"swd.probe_found": False, "vesc.answered": True}, "swd"),
])
def test_choose_via(asked, facts, way):
    assert choose_via(asked, facts) == way
