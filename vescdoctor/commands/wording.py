"""The command line's words for the engine's typed errors and notices: what to do, as a flag or a command.

The engine says what is wrong and carries the data (which image is missing, which HW the board and the image are
for); how to act on it differs by face: here it is a flag to pass, in the TUI a field to fill in (tui/wording.py).
"""
from __future__ import annotations

from ..errors import ProbeChoiceNeeded, VescDoctorError


def error_text(exc: VescDoctorError) -> str:
    """The one line `vescdoctor: ...` says for `exc`."""
    if isinstance(exc, ProbeChoiceNeeded):
        return f"{exc}: choose one with --probe UID"
    return str(exc)
