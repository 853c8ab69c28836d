"""The TUI's words for the engine's typed errors, notices and outcomes: a field to fill in or a button to press
where the command line names a flag (commands/wording.py says it the CLI's way).

`own_command` puts the command that goes on with this very board where a message says to run vescdoctor again (the
demo's board, a simulated one: a plain `vescdoctor` would look for real hardware there).

One more mapping lives here: the verdicts' next steps (rules/triage.yaml) name `vescdoctor fix`; above the repair
panel the TUI points at the panel instead (`next_step_text`). That text is data the graph ships, not an engine
message, so it is matched here, in one function.
"""
from __future__ import annotations

import re
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

RESUME = {"finish": "run vescdoctor again to finish (it picks up where this stopped)", "retry": "run vescdoctor again"}
HW_FIELD = "the Board hardware field"


def error_text(exc: VescDoctorError) -> str:
    """The one line the TUI shows for `exc`."""
    if isinstance(exc, ImageMissing):
        return f"{exc}: " + " and ".join(f"fill in the {what} image field" for what in exc.images)
    if isinstance(exc, WrongImageKind):
        return f"{exc} (put it in the {exc.found} image field)"
    if isinstance(exc, HardwareUnknown):
        return f"{exc}; type it into {HW_FIELD} (e.g. 410)"
    if isinstance(exc, HardwareUnconfirmed):
        if exc.image_hw != exc.hint_hw:
            return f"{exc}; if the board is HW {exc.image_hw}, type {exc.image_hw} into {HW_FIELD}"
        return f"{exc}; confirm the board is HW {exc.hint_hw} by typing {exc.hint_hw} into {HW_FIELD}"
    if isinstance(exc, ProbeChoiceNeeded):
        return f"{exc}: choose one with --probe UID when you start vescdoctor"
    if isinstance(exc, FixError) and exc.resume:
        return f"{exc}; {RESUME['retry']}"
    return str(exc)


# The USB plan's refusals name the CLI's flags (usbrepair/plan.py); in the TUI they are the image fields.
_USB_FLAGS = (("pass --bootloader FILE", "fill in the bootloader image field"),
              ("or repair through SWD (--via swd)", "or connect a debug probe and look again"),
              # the TUI offers the catalog's bootloader itself (Ctrl+G) when there is one
              ("; the catalog's was not at hand (`vescdoctor firmware get --bootloader` fetches it)", ""))


def usb_error_text(exc: VescDoctorError) -> str:
    """The one line the TUI shows for a refused plan over USB."""
    text = str(exc)
    for flag, field in _USB_FLAGS:
        text = text.replace(flag, field)
    return text


def notice_text(notice: Notice) -> str:
    """A plan's warning, in the TUI's words."""
    if notice.kind == "finding-skipped":
        return f"also found {notice.code}, not fixed: fill in the {notice.image} image field to fix it too"
    if notice.kind == "config-overwritten":
        return f"Keep the motor configuration is off: {notice.text}"
    return str(notice)


def outcome_text(outcome: FixOutcome) -> str:
    if outcome.resume is None:
        return outcome.message
    return f"{outcome.message}; {RESUME[outcome.resume.value]}"


# "run vescdoctor again", "run `vescdoctor fix` again", "running vescdoctor again", "then vescdoctor again": the
# engine's, the graph's and the TUI's own ways of saying it (tests/tui/test_tui_demo_words.py collects them all).
_AGAIN = re.compile(r"(?P<verb>\b[Rr]un(?:ning)? )?`?vescdoctor(?: fix)?`?(?P<also> \(or VESC Tool\))? again")


def own_command(text: str, command: str | None) -> str:
    """`text` with `command` where it says to run vescdoctor (or `vescdoctor fix`) again; as it is without one."""
    if not command:
        return text
    return _AGAIN.sub(lambda m: f"{m.group('verb') or ''}{command}{m.group('also') or ''}", text)


_FIX_COMMAND = re.compile(r"Run `vescdoctor fix(?: --(firmware|bootloader) [\w.-]+)?`( \(and `--(firmware|bootloader) "
                          r"[\w.-]+`)?")


_USB_COMMAND = re.compile(r"`vescdoctor fix --via usb --bootloader BL\.bin( --firmware FW\.bin)?`"
                          r"( with the bootloader for your hardware)?")


def next_step_text(step: str) -> str:
    """A verdict's next step, shown above the repair panel: `vescdoctor fix` is the panel below."""
    def repl(m: re.Match[str]) -> str:
        out = f"Repair below, giving a {m.group(1)} image" if m.group(1) else "Repair below"
        return out + (f" (and a {m.group(3)} image" if m.group(2) else "")

    def usb(m: re.Match[str]) -> str:
        images = "the bootloader for your hardware" if m.group(2) else "a bootloader image"
        return f"the repair below, with {images}" + (" and a firmware image" if m.group(1) else "")
    return _USB_COMMAND.sub(usb, _FIX_COMMAND.sub(repl, step))
