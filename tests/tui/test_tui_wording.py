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
    from vescdoctor.tui.wording import tui_text

    hw = tui_text("fw.bin: refused: the board's hardware is not known, so the firmware (HW 410) cannot be checked "
                  "against it; say which it is with --answer hw=NAME (e.g. --answer hw=410)")
    assert hw.endswith("type it into the Board hardware field (e.g. 410)") and "--" not in hw
    assert tui_text("this fix needs a firmware image (app-missing: x): pass --firmware FILE").endswith(
        "fill in the firmware image field")
    assert "bootloader image field to fix it too" in tui_text(
        "also found bootloader-missing, not fixed: pass --bootloader FILE to fix it too")
    assert "`" not in tui_text("write-firmware failed: x; run `vescdoctor fix` again to finish")
    assert tui_text("refused: this is a bootloader, not firmware (pass it with --bootloader)").endswith(
        "(put it in the bootloader image field)")
    assert "--" not in tui_text("--firmware given but this plan does not write firmware (the firmware in flash is "
                                "fine)")
    assert tui_text("nothing to map here") == "nothing to map here"


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
