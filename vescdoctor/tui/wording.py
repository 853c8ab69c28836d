"""The TUI's own words where the engine's one-line messages name a CLI flag or command.

The fix engine speaks to the command line ("pass --firmware FILE", "--answer hw=NAME", "run `vescdoctor fix`
again"); on screen the same thing is a field to fill in or a button to press. The engine's text stays as it is: this
maps it, phrase by phrase, when the TUI shows it.
"""
from __future__ import annotations

import re

_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    # make_plan's refusals
    (r"say which it is with --answer hw=NAME \(e\.g\. --answer hw=(\w+)\)",
     r"type it into the Board hardware field (e.g. \1)"),
    (r"confirm it with --answer hw=(\w+)", r"type \1 into the Board hardware field"),
    (r"with --answer hw=(\w+)", r"by typing \1 into the Board hardware field"),
    (r"--answer hw=NAME", "the Board hardware field"),
    (r"pass --(bootloader|firmware) FILE to fix it too", r"fill in the \1 image field to fix it too"),
    (r"pass --(bootloader|firmware) FILE", r"fill in the \1 image field"),
    (r"\(pass it with --bootloader\)", "(put it in the bootloader image field)"),
    (r"--(bootloader|firmware) given but", r"a \1 image is given but"),
    (r"--no-keep-config:", "Keep the motor configuration is off:"),
    (r"--keep-config", "Keep the motor configuration"),
    # the engine's outcome and errors
    (r"run `vescdoctor fix` again to finish", "run vescdoctor again to finish (it picks up where this stopped)"),
    (r"run `vescdoctor fix` to lift it first", "run vescdoctor again and repair: the repair lifts it first"),
    (r"run `vescdoctor fix` again", "run vescdoctor again"),
    (r"; or answer unsure", "; or leave it empty"),
    # the verdicts' next steps (rules/triage.yaml), shown above the repair panel
    (r"Run `vescdoctor fix --(firmware|bootloader) [\w.-]+`", r"Repair below, giving a \1 image"),
    (r"\(and `--(firmware|bootloader) [\w.-]+`", r"(and a \1 image"),
    (r"Run `vescdoctor fix`", "Repair below"),
))


def tui_text(text: str | None) -> str:
    """`text` with every CLI flag or command the engine names replaced by what to do on screen."""
    out = str(text or "")
    for pattern, replacement in _PHRASES:
        out = pattern.sub(replacement, out)
    return out
