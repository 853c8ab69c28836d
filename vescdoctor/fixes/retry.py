"""Retrying what a noisy SWD wire breaks (issue 12, item 10): writes as well as reads, bounded, and a run that gives
up says so.

- A write (erase, program, verify of a set of sectors) cut by a transient transfer error is redone from the start
  of that write, the core halted again first (a cut transfer can leave the flash algorithm running), for as long as
  the tries get somewhere: a try that gets more of the image onto the chip than any try before it (its Tally: the
  bytes the chip's CRC run found already right, the bytes the flash algorithm then reported programmed, the bytes
  verified) earns more tries. It gives up after WRITE_STALLED tries in a row that got no further (but never before
  WRITE_ATTEMPTS tries, all a write gets when its progress is not measured) or WRITE_CAP tries in all, so a hopeless
  wire still ends. Redoing is safe and cheap: the chip's CRC run (pyOCD's smart flash where the chip cannot run it)
  finds which sectors hold the image already, and only the others are erased and programmed again (a sector whose
  erase or programming was cut is one of those), and the vector-table pages are written last (flashops), so a
  retried write never leaves a runnable vector table in front of half-written code. A bus fault (read protection,
  write protection) or a verify mismatch (a stuck bit) is not transient and is never retried.
- A read (the backup's 1 MiB, the verify) shrinks its chunk when a chunk fails and grows it again after a success,
  so the retries a read gets scale with the error rate it sees; it gives up only when the smallest chunk keeps
  failing (READ_GIVE_UP times in a row), which means the link is not working.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .backup import FixError

LOG = logging.getLogger(__name__)
WRITE_ATTEMPTS = 4  # the tries a write always gets (all it gets when its progress is not measured)
WRITE_STALLED = 3  # tries in a row that get no more of the image onto the chip: the wire is not getting it through
WRITE_CAP = 16  # tries in all, however much each gets through: a wire that slow needs fixing
RECOVER_ATTEMPTS = 5  # reset_and_halt tries after a transfer error, each over the same wire
READ_MAX_CHUNK = 0x10000
READ_MIN_CHUNK = 0x400
READ_GIVE_UP = 8  # failures in a row of the smallest chunk (each itself retried by flash_reader.read_block)


class GaveUp(FixError):
    """Retries used up on transfer errors: the message (one line, said as is) says what, how often, what to do."""


def transient(exc: BaseException) -> bool:
    """A transfer error a second try may not see: not a bus fault (protection), not a lost probe."""
    from pyocd.core import exceptions

    if _cleaning_up_after_a_failure(exc):
        return False
    if isinstance(exc, exceptions.CoreRegisterAccessError):  # the core left running by a cut transfer: halt again
        return True
    return isinstance(exc, exceptions.TransferError) and not isinstance(exc, exceptions.TransferFaultError)


def _cleaning_up_after_a_failure(exc: BaseException) -> bool:
    """Raised while cleaning up after a failure that is never retried (the algorithm's uninit in a `finally`, over
    a noisy wire, after a verify mismatch or a flash failure): Python shows the cleanup's error, but the write failed
    for the first one, so it must not be redone."""
    from pyocd.core import exceptions

    from .flashops import VerifyError

    cause, depth = exc.__context__, 0
    while cause is not None and depth < 8:
        if isinstance(cause, (VerifyError, exceptions.FlashFailure, exceptions.TransferFaultError)):
            return True
        cause, depth = cause.__context__, depth + 1
    return False


def reset_and_halt(target) -> None:
    """target.reset_and_halt() between the steps of a fix, over a noisy wire: a try cut by a transient transfer
    error is made again (a reset and halt leaves the chip as the next one would), up to RECOVER_ATTEMPTS times, the
    last error raised when none got through; any other error at once."""
    for attempt in range(1, RECOVER_ATTEMPTS + 1):
        try:
            target.reset_and_halt()
            return
        except Exception as exc:  # noqa: BLE001 - only transient transfer errors are tried again
            if not transient(exc) or attempt == RECOVER_ATTEMPTS:
                raise
            LOG.debug("reset_and_halt cut by an SWD transfer error (%s); again", exc)


def _recover(target) -> None:
    """After a cut transfer: halt the core again so the flash algorithm can be loaded afresh. The halt itself goes
    over the same noisy wire, so it is tried a few times, until the core says it is halted."""
    for _ in range(RECOVER_ATTEMPTS):
        try:
            target.reset_and_halt()
            if target.is_halted():
                return
        except Exception as exc:  # noqa: BLE001 - the next attempt says whether the chip is back
            LOG.debug("reset_and_halt before a retried write: %s", exc)


class Tally:
    """How far one try of a write got, in bytes of the image the chip was found or made to hold: the sectors its CRC
    run found already right, then the pieces the flash algorithm reported programmed, then the bytes verified. Only
    ever grows within a try; retry_write compares tries by it."""

    def __init__(self) -> None:
        self.bytes = 0

    def add(self, nbytes: int) -> None:
        self.bytes += nbytes


def retry_write(target, what: str, attempt: Callable[[], Any],
                on_retry: Callable[[str], None] | None = None, tally: Tally | None = None) -> Any:
    """Run `attempt` (a whole erase-program-verify of `what`, or one piece of it); redo it after a transient
    transfer error while the tries make progress: `tally` (reset before each try, counted by the try) says how far a
    try got. Without a tally every try counts as none, so a write gets WRITE_ATTEMPTS tries."""
    best = stalled = tries = 0
    while True:
        tries += 1
        if tally is not None:
            tally.bytes = 0
        try:
            return attempt()
        except Exception as exc:  # noqa: BLE001 - only transient transfer errors are retried, the rest raised
            if not transient(exc):
                raise
            got = tally.bytes if tally is not None else 0
            stalled = 0 if got > best else stalled + 1
            best = max(best, got)
            if tries >= WRITE_CAP or (tries >= WRITE_ATTEMPTS and stalled >= WRITE_STALLED):
                raise _gave_up(what, tries, stalled, exc) from exc
            so_far = f"{stalled} in a row got no further" if stalled else "this one got further"
            note = (f"SWD transfer error while writing the {what} ({exc}); writing it again, attempt {tries + 1} "
                    f"({so_far}; what is already right is kept)")
            LOG.warning(note)
            if on_retry:
                on_retry(note)
            _recover(target)


def _gave_up(what: str, tries: int, stalled: int, last: BaseException) -> GaveUp:
    why = f"the last {stalled} getting no more of it onto the chip" if stalled else "the most a write gets"
    return GaveUp(f"gave up writing the {what}: {tries} tries, each cut by an SWD transfer error ({why}; last: "
                  f"{last}); the link is too noisy: shorten the SWD wires, check GND, then run `vescdoctor fix` again "
                  "(the vector table is written last, so the board is left recognisable)")


class ReadPacer:
    """The chunk size of a long read: shrinks on a failure, grows back on a success; gives up when the smallest
    chunk fails READ_GIVE_UP times in a row."""

    def __init__(self) -> None:
        self.chunk = READ_MAX_CHUNK
        self.failures = 0  # all of this read, for the log
        self._in_row = 0

    def ok(self) -> None:
        self._in_row = 0
        self.chunk = min(READ_MAX_CHUNK, self.chunk * 2)

    def failed(self, address: int, exc: BaseException) -> None:
        self.failures += 1
        if self.chunk == READ_MIN_CHUNK:
            self._in_row += 1
            if self._in_row >= READ_GIVE_UP:
                raise GaveUp(f"gave up reading at 0x{address:08X}: {self._in_row} reads of {READ_MIN_CHUNK} bytes "
                             f"in a row failed on SWD transfer errors ({self.failures} in this read; last: {exc}); "
                             "the link is not working: shorten the SWD wires, check GND") from exc
        self.chunk = max(READ_MIN_CHUNK, self.chunk // 4)
        LOG.debug("read at 0x%08X failed (%s); reading %d-byte chunks", address, exc, self.chunk)
