"""The log that wraps again on resize (widgets/wraplog.py), in a small app of its own: lines whole after the width
changes, the newest lines in sight after the height does."""
from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from vescdoctor.tui.widgets.wraplog import WrappingLog

LINES = [f"line {n}: " + "word " * (n % 17) for n in range(40)]


class LogApp(App):
    CSS = "#above { height: 2; } WrappingLog { height: 1fr; overflow-x: hidden; scrollbar-gutter: stable; }"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("above", id="above")
            yield WrappingLog(id="log")


def _text(log: WrappingLog) -> str:
    return "".join(strip.text for strip in log.lines).replace(" ", "")


def test_lines_are_wrapped_again_for_a_narrower_terminal():
    async def run():
        app = LogApp()
        async with app.run_test(size=(80, 20)) as pilot:
            log = app.query_one(WrappingLog)
            for line in LINES:
                log.write_line(line)
            await pilot.pause()
            for size in ((40, 20), (80, 20), (30, 12)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                await pilot.pause()
                assert all(strip.cell_length <= log.scrollable_content_region.width for strip in log.lines), size
                assert _text(log) == "".join(LINES).replace(" ", ""), size  # nothing cut off
                assert log.max_scroll_x == 0

    asyncio.run(run())


def test_the_newest_lines_stay_in_sight_when_the_log_gets_shorter():
    async def run():
        app = LogApp()
        async with app.run_test(size=(80, 24)) as pilot:
            log = app.query_one(WrappingLog)
            for line in LINES[:30]:
                log.write_line(line)
            await pilot.pause()
            assert log.scroll_y == log.max_scroll_y > 0
            for line in LINES[30:]:  # the last probe's lines and the question above, in one go (as the triage does)
                log.write_line(line)
            app.query_one("#above").styles.height = 12
            await pilot.pause()
            await pilot.pause()
            assert log.scroll_y == log.max_scroll_y

    asyncio.run(run())
