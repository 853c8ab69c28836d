"""The no-probe verdict lists what `vescdoctor doctor` finds on this computer, in words (widgets/hostchecks.py)."""
from __future__ import annotations

import asyncio

import pytest

from vescdoctor.probes.host import Check
from vescdoctor.tui.widgets.hostchecks import checks_text


def test_checks_in_words_with_their_fix():
    text = str(checks_text([Check("vesc-port", "VESC port COM5", "fail", "Access is denied", "close VESC Tool"),
                            Check("probe", "Debug probe", "warn", "none plugged in", None)]))
    assert "problem: VESC port COM5: Access is denied" in text and "fix: close VESC Tool" in text
    assert "note: Debug probe: none plugged in" in text and text.count("fix:") == 1
    assert "checking" in str(checks_text(None)) and "no problem found" in str(checks_text([]))
    assert "could not check: boom" in str(checks_text(None, "boom"))


@pytest.mark.slow
def test_the_no_probe_verdict_lists_the_host_checks(tmp_path):
    from vescdoctor.tui.app import VescDoctorApp

    from board_support import make
    from tui_support import enter_to_verdict, wait_for

    app = VescDoctorApp(board_dir=make(tmp_path, "no-probe"), backup_dir=tmp_path / "backups",
                        report_path=tmp_path / "report.json")

    async def walk():
        async with app.run_test(size=(80, 24)) as pilot:
            await enter_to_verdict(pilot)
            assert app.session.verdict.code == "no-probe"
            box = app.screen.query_one("#host-checks")
            await wait_for(pilot, lambda: box.checks is not None, what="the host checks")
            assert [(c.id, c.status) for c in box.checks] == [("probe", "warn")]
            text = str(box.render())
            assert "vescdoctor doctor" in text and "none plugged in" in text and "fix: plug in an ST-Link" in text
            assert app.focused.id == "look-again"
            await pilot.press("q")

    asyncio.run(walk())
