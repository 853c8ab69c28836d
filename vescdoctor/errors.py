"""The typed errors of vescdoctor. Each face (CLI, TUI) turns them into one line and an exit code."""
from __future__ import annotations


class VescDoctorError(Exception):
    """Base: every expected failure; anything else escaping is a bug."""

    exit_code = 1


class InputError(VescDoctorError):
    """Bad input: a file that is not what it claims, a malformed graph, report, scenario or board (exit 2).

    `where` is "FILE:LINE" or "FILE" when known; str() gives the one line a user sees.
    """

    exit_code = 2

    def __init__(self, message: str, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ProbeChoiceNeeded(InputError):
    """Several debug probes are connected and none was named: guessing could erase the wrong board."""

    def __init__(self, message: str, unique_ids: list[str]):
        super().__init__(message)
        self.unique_ids = list(unique_ids)


class Inconclusive(VescDoctorError):
    """The chip could not be reached and nothing more can be said without the user acting (exit 3)."""

    exit_code = 3


class Declined(VescDoctorError):
    """The user answered no at a confirmation: nothing was changed. Not bad input: the fix or restore did not run
    (exit 1)."""

    exit_code = 1
