"""The TUI's own words and layout: the 80-column flash map, fields named instead of CLI flags."""
from __future__ import annotations

import asyncio

import pytest

from tui_support import (
    SIZE,
    demo_app,
    enter_to_verdict,
)

# -- Cosmetics: the 80-column flash map, the TUI's own words ---------------------------------------------------

@pytest.mark.slow
def test_flash_map_at_80_columns_keeps_a_gap_between_sectors(tmp_path):
    asyncio.run(_map_80(tmp_path))


async def _map_80(tmp_path):
    from vescdoctor.knowledge.flash import SECTORS

    from tui_support import to_finished_triage

    app, _ = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_finished_triage(pilot)
        cells = [app.screen.query_one(f"#sector-{s.number}") for s in SECTORS]
        for cell in cells:
            assert all(len(line) < cell.content_size.width for line in cell.lines), (cell.lines, cell.size)
        roles = [cell.lines[1] for cell in cells]
        assert roles[8] == roles[9] == roles[10] and roles[1] == roles[2], "one word for one role"
        assert "data" in cells[1].lines
        await pilot.press("ctrl+q")


def test_tui_wording_names_fields_not_flags():
    """The engine's typed errors, notices and outcomes, in the TUI's words: fields, not flags."""
    from vescdoctor.errors import HardwareUnknown, ImageMissing, InputError, WrongImageKind
    from vescdoctor.fixes.execute import FixOutcome, Resume
    from vescdoctor.fixes.records import Notice
    from vescdoctor.tui.wording import error_text, notice_text, outcome_text

    hw = error_text(HardwareUnknown("410", "fw.bin"))
    assert hw.endswith("type it into the Board hardware field (e.g. 410)") and "--" not in hw
    assert error_text(ImageMissing([("firmware", "app-missing: x")])).endswith("fill in the firmware image field")
    assert "bootloader image field to fix it too" in notice_text(
        Notice("also found bootloader-missing, not fixed", kind="finding-skipped", image="bootloader",
               code="bootloader-missing"))
    assert "`" not in outcome_text(FixOutcome(False, message="write-firmware failed: x", resume=Resume.FINISH))
    assert error_text(WrongImageKind("firmware", "bootloader", "bl.bin")).endswith(
        "(put it in the bootloader image field)")
    assert "--" not in notice_text(Notice("this plan does not write firmware (the firmware in flash is fine)",
                                          kind="image-unused", image="firmware"))
    assert error_text(InputError("nothing to map here")) == "nothing to map here"


@pytest.mark.slow
def test_missing_firmware_is_asked_for_by_its_field(tmp_path):
    asyncio.run(_missing_fw(tmp_path))


async def _missing_fw(tmp_path):
    app, _ = demo_app(tmp_path, firmware="")
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        text = str(app.screen.query_one("#fix-plan").render())
        assert "fill in the firmware image field" in text and "--firmware" not in text, text
        await pilot.press("ctrl+q")


@pytest.mark.slow
def test_verdict_next_steps_point_at_the_repair_panel_not_the_cli(tmp_path):
    asyncio.run(_next_steps(tmp_path))


async def _next_steps(tmp_path):
    app, _ = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await enter_to_verdict(pilot)
        text = str(app.screen.query_one("#verdict-text").render())
        assert "Repair below, giving a firmware image (and a bootloader image" in text, text
        assert "vescdoctor fix" not in text and "--firmware" not in text and "--bootloader" not in text
        await pilot.press("ctrl+q")


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_the_evidence_before_the_verdict_is_in_words_not_raw_facts(tmp_path):
    """Issue 20: `flash.app_reset 4294967295` and a Python dict for `swd.attempts` were on screen."""
    import asyncio

    from tui_support import SIZE, demo_app, screen_name, until_verdict, wait_for

    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: screen_name(app) == "WiringScreen")
            await pilot.press("escape")
            await until_verdict(pilot)
            shown = str(app.screen.query_one("#evidence-text").render())
            assert "app.reset" not in shown and "flash.app_reset" not in shown, shown
            assert "4294967295" not in shown and "{'" not in shown and "swd.attempts" not in shown, shown
            assert "0xFFFFFFFF" in shown or "erased" in shown.lower(), shown
            await pilot.press("ctrl+q")
    asyncio.run(run())


def test_the_usb_next_steps_point_at_the_repair_below():
    from vescdoctor.tui.wording import next_step_text

    assert next_step_text("Install a verified bootloader before you update: `vescdoctor fix --via usb --bootloader "
                          "BL.bin` with the bootloader for your hardware (VESC Tool's res/bootloaders).") == \
        ("Install a verified bootloader before you update: the repair below, with the bootloader for your hardware "
         "(VESC Tool's res/bootloaders).")
    assert next_step_text("To update as well: `vescdoctor fix --via usb --bootloader BL.bin --firmware FW.bin` "
                          "(bootloader first)") == \
        "To update as well: the repair below, with a bootloader image and a firmware image (bootloader first)"


def test_a_refused_usb_plan_names_the_field_not_the_flag():
    from vescdoctor.errors import InputError
    from vescdoctor.tui.wording import usb_error_text

    said = usb_error_text(InputError("this repair over USB needs a bootloader image (x): pass --bootloader FILE "
                                     "(the one for HW 410)"))
    assert "fill in the bootloader image field (the one for HW 410)" in said and "--" not in said
