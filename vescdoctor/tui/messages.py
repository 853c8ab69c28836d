"""Typed messages the thread workers post to the UI (posting a message is safe from any thread)."""
from __future__ import annotations

from typing import Any

from textual.message import Message


class EnvReady(Message):
    """The environment (bench or this machine's hardware) is open."""


class EnvFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class TranscriptLine(Message):
    """One line of what a probe saw."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class ProbeFinished(Message):
    def __init__(self, node_id: str, result: Any) -> None:
        super().__init__()
        self.node_id = node_id
        self.result = result


class FixProgress(Message):
    """A FixEvent from the fix engine (kind, phase, fraction, message, writing)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class FixFinished(Message):
    def __init__(self, outcome: Any) -> None:
        super().__init__()
        self.outcome = outcome


class FixCrashed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
