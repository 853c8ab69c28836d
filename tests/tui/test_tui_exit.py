"""The TUI as the CLI: exit 3 when the chip could not be reached (no repair ran); and the hw question on real
hardware offers what the flash shows, saying where it comes from."""
from __future__ import annotations

import asyncio

import pytest

from vescdoctor.tui.app import VescDoctorApp

from board_support import make
from tui_support import enter_to_verdict

pytestmark = pytest.mark.slow  # every test here runs the app (Textual's pilot)


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

    def owner_answer(self, question):
        return None  # no owner's answers on real hardware: the rider answers


def test_on_real_hardware_the_hw_question_offers_the_updates_hw_and_says_where_it_comes_from(tmp_path):
    app = real_looking_app(tmp_path)

    async def walk():
        async with app.run_test(size=(100, 30)) as pilot:
            await to_the_hw_question(pilot)
            text = str(app.screen.query_one("#step-text").render())
            assert "built for HW 410" in text, text
            assert app.screen.query_one("#step-input").value == "410"
            # the footer is not empty in the field: ^q quits there (q types)
            shown = {k for k, b in app.screen.active_bindings.items() if b.binding.show and b.enabled}
            assert "ctrl+q" in shown, shown
            await pilot.press("ctrl+q")

    asyncio.run(walk())


def test_a_rider_unsure_of_the_hardware_must_type_it_the_buffers_hw_is_only_shown(tmp_path):
    """`unsure` at the hw question on real hardware: the Board hardware field stays empty (the update's HW is in its
    placeholder, a hint), the plan says what to do in the TUI's words, and nothing can be repaired until the rider
    types the name."""
    from tui_support import wait_for

    app = real_looking_app(tmp_path, bootloader=str(_image(tmp_path, "bl")), firmware=str(_image(tmp_path, "fw")))

    async def walk():
        async with app.run_test(size=(100, 30)) as pilot:
            await to_the_hw_question(pilot)
            box = app.screen.query_one("#step-input")
            box.value = "unsure"
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.session.finished, what="the verdict")
            await pilot.press("enter")  # Show the verdict
            await wait_for(pilot, lambda: type(app.screen).__name__ == "VerdictScreen", what="the verdict screen")
            await pilot.pause(0.2)
            field = app.screen.query_one("#fix-hw")
            assert field.value == "" and "HW 410" in field.placeholder, (field.value, field.placeholder)
            plan_text = str(app.screen.query_one("#fix-plan").render())
            assert "Board hardware field" in plan_text and "--answer" not in plan_text, plan_text
            assert app.screen.query_one("#fix-go").disabled
            await pilot.press("q")

    asyncio.run(walk())


def real_looking_app(tmp_path, **kw) -> VescDoctorApp:
    """The TUI on a bricked-update board that says it is real hardware."""
    from vescdoctor.environment import sim_environment

    board = make(tmp_path, "bricked-update")
    return VescDoctorApp(env_factory=lambda: _AsIfReal(sim_environment(board)), backup_dir=tmp_path / "backups",
                         report_path=tmp_path / "report.json", **kw)


async def to_the_hw_question(pilot) -> None:
    """Start with the default answers, skip the wiring screen, until the triage asks which hardware."""
    from tui_support import wait_for

    app = pilot.app
    await wait_for(pilot, lambda: type(app.screen).__name__ == "StartScreen")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "WiringScreen")
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.session is not None and app.session.current.question == "hw"
                   and app.screen.query_one("#step-input").display, what="the hw question")


def _image(tmp_path, what):
    from vescdoctor.sim import imagegen

    path = tmp_path / f"{what}.bin"
    path.write_bytes(imagegen.bootloader() if what == "bl" else imagegen.firmware("410", "5.03", "release5"))
    return path


def test_no_probe_verdict_offers_look_again_with_the_same_answers(tmp_path):
    from tui_support import screen_name, until_verdict, wait_for

    app = VescDoctorApp(board_dir=make(tmp_path, "no-probe"), backup_dir=tmp_path / "backups",
                        report_path=tmp_path / "report.json")

    async def walk():
        async with app.run_test(size=(80, 24)) as pilot:
            await enter_to_verdict(pilot)
            first = app.session
            assert first.verdict.code == "no-probe"
            assert app.focused is not None and app.focused.id == "look-again"
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.session is not first, what="a fresh look")
            await wait_for(pilot, lambda: screen_name(app) == "WiringScreen", what="the wiring, to plug the probe")
            await pilot.press("escape")
            await until_verdict(pilot)
            assert app.session.answers == first.answers  # not asked again
            assert app.session.verdict.code == "no-probe"
            await pilot.press("q")

    asyncio.run(walk())
    assert not (tmp_path / "report.json").exists()
