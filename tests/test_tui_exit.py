"""The TUI as the CLI: exit 3 when the chip could not be reached (no repair ran); and the hw question on real
hardware offers what the flash shows, saying where it comes from."""
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


class _AsIfReal:
    """A simulated board's environment that says it is real hardware: the TUI then has no owner to suggest
    answers, as for a rider at a real board."""

    is_sim = False

    def __init__(self, env):
        self._env = env

    def __getattr__(self, name):
        return getattr(self._env, name)


def test_on_real_hardware_the_hw_question_offers_the_updates_hw_and_says_where_it_comes_from(tmp_path):
    from vescdoctor.environment import sim_environment
    from tui_support import wait_for

    board = make(tmp_path, "bricked-update")
    app = VescDoctorApp(env_factory=lambda: _AsIfReal(sim_environment(board)), backup_dir=tmp_path / "backups",
                        report_path=tmp_path / "report.json")

    async def walk():
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: type(app.screen).__name__ == "StartScreen")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "WiringScreen")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.session is not None and app.session.current.question == "hw"
                           and app.screen.query_one("#step-input").display, what="the hw question")
            text = str(app.screen.query_one("#step-text").render())
            assert "built for HW 410" in text, text
            assert app.screen.query_one("#step-input").value == "410"
            await pilot.press("q")

    asyncio.run(walk())
