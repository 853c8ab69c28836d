"""Text from someone else's file, made safe for a terminal: what must never reach one, and how to show it instead.

C0 controls but tab/newline, DEL, C1 controls (ESC sequences, CSI), and bidi/zero-width tricks (Trojan Source). The
YAML loader refuses them (yamlfile), the renderers replace them (report/text.py), error lines escape them (cli.py).
"""
from __future__ import annotations

import re
from typing import Any

UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def escaped(text: Any) -> str:
    """`text` with every unsafe character shown as an escape (\\x1b, \\u202e): for one-line messages that quote
    what a file holds, so the user sees what is wrong and the terminal acts on nothing."""
    return UNSAFE_CHARS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
