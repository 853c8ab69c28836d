"""The evidence so far: the answers, the findings and the facts the probes established, in words (report/words.py:
addresses in hex, attempts as sentences, units). The raw values stay in the report's JSON."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...report.words import evidence


class Evidence(VerticalScroll):
    BORDER_TITLE = "Evidence"

    def compose(self):
        yield Static(id="evidence-text")

    def show(self, answers: Mapping[str, str], findings: list[str], facts: Mapping[str, Any]) -> None:
        out = Text()
        if answers:
            out.append("Answers: ", style="bold")
            out.append(", ".join(f"{k}: {v}" for k, v in answers.items()) + "\n")
        out.append("Findings: ", style="bold")
        out.append((", ".join(findings) if findings else "none yet") + "\n")
        group = None
        for source, label, words in evidence(dict(facts)):
            if source != group:
                group = source
                out.append(f"{source}\n", style="bold")
            out.append(f"  {label}: ", style="dim")
            out.append(f"{words}\n")
        self.query_one("#evidence-text", Static).update(out)
