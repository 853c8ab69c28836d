"""The command line's words for the engine's typed errors, notices and outcomes: what to do, as a flag or a command.

The engine says what is wrong and carries the data (which image is missing, which HW the board and the image are
for); how to act on it differs by face: here it is a flag to pass, in the TUI a field to fill in (tui/wording.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import (
    FixError,
    HardwareUnconfirmed,
    HardwareUnknown,
    ImageMissing,
    ProbeChoiceNeeded,
    VescDoctorError,
    WrongImageKind,
)

if TYPE_CHECKING:
    from ..fixes.execute import FixOutcome
    from ..fixes.records import Notice

RESUME = {"finish": "run `vescdoctor fix` again to finish", "retry": "run `vescdoctor fix` again"}


def error_text(exc: VescDoctorError) -> str:
    """The one line `vescdoctor: ...` says for `exc`."""
    if isinstance(exc, ProbeChoiceNeeded):
        return f"{exc}: choose one with --probe UID"
    if isinstance(exc, ImageMissing):
        return f"{exc}: pass " + " and ".join(f"--{what} FILE" for what in exc.images)
    if isinstance(exc, WrongImageKind):
        return f"{exc} (pass it with --{exc.found})"
    if isinstance(exc, HardwareUnknown):
        return f"{exc}; say which it is with --answer hw=NAME (e.g. --answer hw=410)"
    if isinstance(exc, HardwareUnconfirmed):
        if exc.image_hw != exc.hint_hw:
            return f"{exc}; if the board is HW {exc.image_hw}, confirm it with --answer hw={exc.image_hw}"
        return f"{exc}; confirm the board is HW {exc.hint_hw} with --answer hw={exc.hint_hw}"
    if isinstance(exc, FixError) and exc.resume:
        return f"{exc}; {RESUME['retry']}"
    return str(exc)


def notice_text(notice: Notice) -> str:
    """A plan's warning, in the command line's words."""
    if notice.kind == "finding-skipped":
        return f"also found {notice.code}, not fixed: pass --{notice.image} FILE to fix it too"
    if notice.kind == "config-overwritten":
        return f"--no-keep-config: {notice.text}"
    if notice.kind == "image-unused":
        return f"--{notice.image} given but {notice.text}"
    return notice.text


def outcome_text(outcome: FixOutcome) -> str:
    """A fix's outcome message, with what to run next when running the fix again is it."""
    if outcome.resume is None:
        return outcome.message
    return f"{outcome.message}; {RESUME[outcome.resume.value]}"
