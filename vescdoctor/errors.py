"""The typed errors of vescdoctor. Each face (CLI, TUI) turns them into one line and an exit code."""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of shared/spec/cli.md: the one table every face and flow uses."""

    OK = 0  # healthy, or done
    PROBLEM = 1  # a problem found, or a fix that did not complete
    INPUT = 2  # bad input, or refused
    INCONCLUSIVE = 3  # the chip could not be reached


class VescDoctorError(Exception):
    """Base: every expected failure; anything else escaping is a bug."""

    exit_code: int = ExitCode.PROBLEM


class InputError(VescDoctorError):
    """Bad input: a file that is not what it claims, a malformed graph, report, scenario or board (exit 2).

    `where` is "FILE:LINE" or "FILE" when known; str() gives the one line a user sees.
    """

    exit_code = ExitCode.INPUT

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


class ImageMissing(InputError):
    """The fix needs image files that were not given: `needs` is [(what, why)], what is bootloader | firmware."""

    def __init__(self, needs: list[tuple[str, str]]):
        super().__init__("this fix needs " + " and ".join(f"a {what} image ({why})" for what, why in needs))
        self.needs = list(needs)

    @property
    def images(self) -> list[str]:
        return [what for what, _ in self.needs]


class WrongImageKind(InputError):
    """An image given as one kind (`given_as`) is another (`found`): a bootloader given as the firmware."""

    def __init__(self, given_as: str, found: str, where: str):
        article = "a " if found == "bootloader" else ""
        super().__init__(f"refused: this is {article}{found}, not {given_as}", where)
        self.given_as, self.found = given_as, found


class HardwareUnknown(InputError):
    """Nothing tells the board's HW, so firmware built for `image_hw` cannot be checked against it."""

    def __init__(self, image_hw: str, where: str):
        super().__init__(f"refused: the board's hardware is not known, so the firmware (HW {image_hw}) cannot be "
                         "checked against it", where)
        self.image_hw = image_hw


class HardwareUnconfirmed(InputError):
    """Only a hint (`hint_source`: the update in the buffer, an earlier backup ...) tells the board's HW
    (`hint_hw`); the user must confirm which it is before firmware for `image_hw` is written."""

    def __init__(self, image_hw: str, hint_hw: str, hint_source: str, where: str):
        if image_hw != hint_hw:
            message = (f"refused: the firmware is built for HW {image_hw} but {hint_source} is for HW {hint_hw}, and "
                       "that only shows what was to be installed, not the board")
        else:
            message = (f"refused: only {hint_source} says HW {hint_hw}, and that shows what was to be installed, "
                       "not the board")
        super().__init__(message, where)
        self.image_hw, self.hint_hw, self.hint_source = image_hw, hint_hw, hint_source


class Inconclusive(VescDoctorError):
    """The chip could not be reached and nothing more can be said without the user acting (exit 3)."""

    exit_code = ExitCode.INCONCLUSIVE


class Declined(VescDoctorError):
    """The user answered no at a confirmation: nothing was changed. Not bad input: the fix or restore did not run
    (exit 1)."""

    exit_code = ExitCode.PROBLEM


class FixError(VescDoctorError):
    """A fix, backup or restore that did not complete (exit 1); the message is one line. `resume`: running the fix
    again finishes the job (each face says how)."""

    exit_code = ExitCode.PROBLEM

    def __init__(self, message: str, *, resume: bool = False):
        super().__init__(message)
        self.resume = resume


class WrongChip(VescDoctorError):
    """The debugger sees a chip that is not a VESC's STM32F405/407 with 1 MiB of flash (a clone, another MCU, a
    misread): nothing is ever erased or written on it (verdict wrong-chip; exit 1)."""

    exit_code = ExitCode.PROBLEM


class ChipChanged(FixError):
    """The chip is not what the plan was made for (found at a step, before it writes): the message is the line."""
