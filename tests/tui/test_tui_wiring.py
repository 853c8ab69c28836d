"""The wiring screen: every safety rule reachable by keyboard on a small terminal, every probe's pins shown."""
from __future__ import annotations

import asyncio

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Select, Static

from vescdoctor.knowledge.wiring import PROBES

from tui_support import demo_app, screen_name, wait_for

pytestmark = pytest.mark.slow


async def _to_wiring(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: screen_name(app) == "WiringScreen")


def _line_shown(scroll: VerticalScroll, widget: Static, words: str) -> bool:
    """The (wrapped) line of `widget` holding `words` lies inside the scroll area's visible window."""
    lines = widget.render().wrap(widget.virtual_region.width)
    index = next(i for i, line in enumerate(lines) if words in line.plain)
    y = widget.virtual_region.y + index
    top = scroll.scroll_offset.y
    return top <= y < top + scroll.scrollable_content_region.height


def test_at_60x20_the_keyboard_reaches_never_feed_3v3(tmp_path):
    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=(60, 20)) as pilot:
            await _to_wiring(pilot)
            scroll = app.screen.query_one("#wiring-body", VerticalScroll)
            assert app.focused is scroll, "the text has the focus, so the keys scroll it"
            last = app.screen.query_one("#wiring-rules-end", Static)
            assert "Never feed 3.3 V" in str(last.render())
            assert not _line_shown(scroll, last, "Never feed 3.3 V")
            await pilot.press("down", "pagedown")
            await pilot.pause()
            assert scroll.scroll_offset.y > 1
            await pilot.press("end")
            await pilot.pause()
            assert scroll.scroll_offset.y == scroll.max_scroll_y
            assert _line_shown(scroll, last, "Never feed 3.3 V"), "after End the closing safety rules are on screen"
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) != "WiringScreen")
    asyncio.run(run())


@pytest.mark.parametrize("probe_id", sorted(PROBES))
def test_the_probe_selector_shows_each_probes_pins(tmp_path, probe_id):
    async def run():
        app, _ = demo_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await _to_wiring(pilot)
            app.screen.query_one("#wiring-probe", Select).value = probe_id
            await pilot.pause()
            shown = str(app.screen.query_one("#wiring-pins", Static).render())
            for layout in PROBES[probe_id].layouts:
                assert layout.name in shown
    asyncio.run(run())
