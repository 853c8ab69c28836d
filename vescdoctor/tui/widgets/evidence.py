"""The evidence so far: the answers, the findings and the facts the probes established, as the session holds them."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

HIDDEN = ("flash.sectors",)  # drawn by the flash map


def _short(value: Any, limit: int = 48) -> str:
    text = "yes" if value is True else "no" if value is False else "?" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Evidence(VerticalScroll):
    BORDER_TITLE = "Evidence"

    def compose(self):
        yield Static(id="evidence-text")

    def show(self, answers: Mapping[str, str], findings: list[str], facts: Mapping[str, Any]) -> None:
        out = Text()
        if answers:
            out.append("Answers: ", style="bold")
            out.append(", ".join(f"{k}={v}" for k, v in answers.items()) + "\n")
        out.append("Findings: ", style="bold")
        out.append((", ".join(findings) if findings else "none yet") + "\n")
        for key in sorted(facts):
            if key.startswith("answer.") or key in HIDDEN:
                continue
            out.append(f"{key}", style="dim")
            out.append(f" {_short(facts[key])}\n")
        self.query_one("#evidence-text", Static).update(out)
