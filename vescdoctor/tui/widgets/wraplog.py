"""A log of plain lines that wraps them again when its width changes (the triage transcript, the repair's log)."""
from __future__ import annotations

from collections import deque
from typing import Any

from textual.widgets import RichLog

MAX_LINES = 2000  # far more than a triage or a repair writes; a bound all the same


class WrappingLog(RichLog):
    """RichLog wraps a line once, when it is written, at the width of that moment: after a resize the old lines kept
    the old width, cut off at the border with a horizontal scrollbar under the vertical one. This one keeps the text
    and wraps it again for the new width; the vertical scrollbar's place is kept (tcss: scrollbar-gutter), so the
    width does not change with the number of lines."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, min_width=20, max_lines=MAX_LINES)
        self.texts: deque[str] = deque(maxlen=MAX_LINES)
        self._wrapped_at = 0  # the width the lines on screen were wrapped at

    def write_line(self, line: str) -> None:
        self.texts.append(line)
        self.write(line)

    def on_resize(self, event: Any) -> None:
        if self.texts and self.scrollable_content_region.width != self._wrapped_at:
            self.call_after_refresh(self.rewrap)
        elif self.auto_scroll:
            # Shorter (the question above it grew): the newest lines stay in sight. Without this, whether they did
            # depended on whether the last line came before or after the layout changed (a snapshot caught both).
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    def rewrap(self) -> None:
        width = self.scrollable_content_region.width
        if width == self._wrapped_at or not width:
            return
        self._wrapped_at = width
        self.clear()
        for line in self.texts:
            self.write(line, scroll_end=False)
        self.scroll_end(animate=False, immediate=True, x_axis=False)
