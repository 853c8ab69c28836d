"""The TUI leaves with the CLI's exit codes also when no repair ran: 3 when the chip could not be reached."""
from __future__ import annotations

import asyncio

import pytest

from vescdoctor.tui.app import VescDoctorApp

from board_support import make
from tui_support import enter_to_verdict


@pytest.mark.parametrize("scenario, code", [("no-probe", 3), ("target-unpowered", 3), ("swd-no-response", 3),
                                            ("healthy", 0)])
def test_quit_at_the_verdict_exits_as_diagnose_does_for_an_unreachable_chip(tmp_path, scenario, code):
    app = VescDoctorApp(board_dir=make(tmp_path, scenario), backup_dir=tmp_path / "backups",
                        report_path=tmp_path / "report.json")

    async def walk():
        async with app.run_test(size=(100, 30)) as pilot:
            await enter_to_verdict(pilot)
            assert app.session.verdict.code == scenario
            await pilot.press("q")

    asyncio.run(walk())
    assert app.return_code == code
