"""Run a fix plan on a board: backup, unlock, erase, program, verify, reset, a fresh look. Never prints.

Progress goes to `on_event` as FixEvents (the CLI draws bars on stderr, the TUI a progress bar). Any failure (probe
lost, power lost, verify mismatch) ends the run with ok=False and a one-line message naming the backup; the board is
left so that a fresh diagnosis sees what is still wrong and the next `fix` finishes the job.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ..knowledge.flash import SECTORS
from ..knowledge.usb_ids import VESC_CDC
from .backup import FixError, backup_target, chip_meta, unique_backup_path
from .flashops import VerifyError, sha256_range, write_verified
from ..report.text import STOPPED_BY_USER
from .plan import Plan

LOG = logging.getLogger(__name__)
BOOTLOADER_RANGE = (SECTORS[11].address, SECTORS[11].size)  # sector 11: must survive a firmware write

# After the reset a real VESC needs a second or more to enumerate (longer on first boot: it writes its CRC words and
# resets itself): the fresh look waits for its USB device this long, looking this often.
USB_WAIT_SECONDS, USB_POLL_SECONDS = 5.0, 0.2
# Findings after which no VESC can appear on USB whatever the fix wrote: waiting for it would only cost time.
NO_ENUMERATION = frozenset({"usb-cable", "dfu-mode"})
# Findings that mean no runnable VESC firmware in flash, unless the plan writes firmware.
NO_FIRMWARE = frozenset({"app-missing", "firmware-crc-mismatch", "unknown-firmware", "read-protected"})
# What the fresh look may say after a fix that did its job: a board whose firmware takes the SWD pins answers only
# under reset, and that is a finding, not a failure (spec/verdicts.md).
DONE_VERDICTS = frozenset({"healthy", "swd-needs-reset"})


@dataclass
class FixEvent:
    kind: str  # phase | progress | log
    phase: str  # backup | unlock | erase | program | verify | reset | reprobe
    fraction: float | None
    message: str
    # A write step is under way (unlock, erase, program, verify, vector table): do not cancel, do not unplug. Every
    # event of a write step is writing=True, so StopRequested raised on a writing=False event never cuts a write.
    writing: bool = False


class StopRequested(Exception):
    """The user asked to stop: `should_stop()` said so before a step, or `on_event` raised it on an event with
    writing=False (inside a read-only step: backup, reset, reprobe). The plan ends there, at a safe point (never
    mid-write), with ok=False and `stopped` set; the next `fix` finishes the job."""


@dataclass
class FixOutcome:
    ok: bool
    actions: list[dict] = field(default_factory=list)
    backups: list[dict] = field(default_factory=list)
    message: str = ""
    after: Any = None  # Diagnosis of the fresh look, when it ran
    unreachable: bool = False  # the chip could not be reached at the start: nothing was done
    stopped: bool = False  # the user asked to stop (StopRequested) and the plan ended at a safe point

    @property
    def backup_note(self) -> str:
        """"; backup: FILE" for the outcome's message once a backup was made (the first one: the flash before)."""
        return f"; backup: {self.backups[0]['file']}" if self.backups else ""


class ChipChanged(FixError):
    """The chip is not what the plan was made for (found at a step, before it writes): the message is the line."""


def _describe_error(exc: BaseException) -> str:
    from pyocd.core import exceptions

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, (VerifyError, FixError)):
        return text
    if isinstance(exc, exceptions.ProbeDisconnected) or "probe" in type(exc).__name__.lower() \
            or type(exc).__name__ in ("USBError", "ProbeGone", "NoBackendError"):
        return f"the debug probe was lost ({text}): check its USB cable"
    if isinstance(exc, exceptions.Error):
        return f"the chip stopped answering ({type(exc).__name__}: {text}): check power and wiring"
    return f"{type(exc).__name__}: {text}"


def execute_plan(plan: Plan, env: Any, *, on_event: Callable[[FixEvent], None], backup_dir: Path,
                 answers: dict[str, str] | None = None, should_stop: Callable[[], bool] | None = None) -> FixOutcome:
    outcome = FixOutcome(ok=False)
    # A stop asked for on an event of a step that has begun writing waits for the step's end: the step is done (and
    # recorded so), the stop lands before the next one. Events of write steps are writing=True, so a caller that
    # raises StopRequested only on writing=False events never gets here; this keeps a stray one from lying.
    # Once the last write is verified, a stop skips only the fresh look: the reset still runs (it starts the
    # firmware just written; a chip left halted would look dead) and the repair counts as done.
    stop = {"deferred": False, "writing": False, "finishing": False}
    last_write = max((i for i, s in enumerate(plan.steps) if s.destructive), default=-1)

    def emit(event: FixEvent) -> None:
        stop["writing"] = stop["writing"] or event.writing
        try:
            on_event(event)
        except StopRequested:
            if not (stop["writing"] or stop["finishing"]):
                raise
            stop["deferred"] = True
    link = env.swd
    if not link.connected and not link.connect():
        why = link.probe_error or (link.attempts[-1].error if link.attempts else "no answer")
        outcome.unreachable = True
        outcome.message = f"the chip could not be reached over SWD ({why}); nothing was changed"
        return outcome
    step_name, begun = "connect", True
    try:
        meta = chip_meta(link.target)
        if plan.board_uid and meta["board_uid"] != plan.board_uid:
            raise FixError("this is not the board that was diagnosed (another UID); nothing was changed")
        for i, step in enumerate(plan.steps):
            step_name, begun = step.name, False
            stop["finishing"] = i > last_write and step.name == "reset"
            asked = stop["deferred"] or (should_stop is not None and should_stop())
            if asked and not stop["finishing"]:  # between steps: no write under way
                raise StopRequested
            begun, stop["writing"] = True, False
            started = time.monotonic()
            detail, file = _run_step(step.name, plan, env, link, emit, outcome, Path(backup_dir), answers)
            action = {"step": step.name, "ok": True, "detail": detail, "seconds": time.monotonic() - started}
            if file:
                action["file"] = file
            outcome.actions.append(action)
    except StopRequested:
        done = [a["step"] for a in outcome.actions]
        where = outcome.backup_note
        after = f"after {done[-1]}" if done else "before any step"
        outcome.stopped = True
        env.swd.close()
        if last_write >= 0 and len(done) > last_write:  # every write done and verified: only the fresh look is left
            outcome.ok = True
            outcome.actions.append({"step": step_name, "ok": False, "error": STOPPED_BY_USER,
                                    "detail": "skipped: stopped by the user"})
            outcome.message = ("done: everything was written and verified, and the chip reset; the fresh look was "
                               f"skipped as you asked{where}; run vescdoctor again to look at the board")
            return outcome
        outcome.actions.append({"step": step_name, "ok": False, "error": STOPPED_BY_USER,
                                "detail": "stopped by the user part way through (no write was cut short)" if begun else
                                "not run: stopped by the user"})
        outcome.message = (f"stopped as you asked, {after} (nothing was cut halfway){where}; "
                           "run `vescdoctor fix` again to finish")
        return outcome
    except ChipChanged as exc:
        outcome.actions.append({"step": step_name, "ok": False, "detail": str(exc), "error": str(exc)})
        outcome.message = str(exc) + outcome.backup_note
        env.swd.close()
        return outcome
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line, the board stays recognisable
        LOG.debug("fix step %s failed", step_name, exc_info=True)
        message = _describe_error(exc)
        outcome.actions.append({"step": step_name, "ok": False, "detail": message, "error": message})
        where = outcome.backup_note
        outcome.message = f"{step_name} failed: {message}{where}; run `vescdoctor fix` again to finish"
        env.swd.close()
        return outcome
    env.swd.close()
    after = outcome.after
    if after is None:
        outcome.ok = True
        outcome.message = "done"
    elif _fixed(after):
        outcome.ok = True
        outcome.message = ("done: the board is healthy" if after.verdict == "healthy" else
                           f"done: the board is healthy apart from {after.verdict} (a finding, not a fault)") \
            + outcome.backup_note
    else:
        outcome.message = (f"the steps completed, but a fresh diagnosis says {after.verdict}"
                           + outcome.backup_note)
    return outcome


def _progress(emit, phase: str, message: str, writing: bool, *, announce: bool = False):
    """A progress callback for `phase`; with announce, the first call also starts the phase (its label)."""
    last = [-1.0]

    def cb(fraction: float) -> None:
        if announce and last[0] < 0:
            emit(FixEvent("phase", phase, 0.0, message, writing))
        if fraction >= 1.0 or fraction - last[0] >= 0.02:
            last[0] = fraction
            emit(FixEvent("progress", phase, max(0.0, min(1.0, fraction)), message, writing))
    return cb


def _run_step(name: str, plan: Plan, env, link, emit, outcome: FixOutcome, backup_dir: Path,
              answers: dict[str, str] | None) -> tuple[str, str | None]:
    from ..target.option_bytes import read_option_bytes, write_option_bytes

    target = link.target
    if name == "backup":
        ob = read_option_bytes(target)
        if ob.rdp_level != 0:
            raise FixError("the flash became unreadable (RDP) before the backup; nothing was changed")
        path = unique_backup_path(backup_dir, chip_meta(target)["board_uid"], datetime.now())
        emit(FixEvent("phase", "backup", 0.0, f"reading the whole flash into {path}", False))
        info = backup_target(target, path, verdict=plan.verdict, board_hw=plan.board_hw,
                             board_hw_source=getattr(plan, "board_hw_source", None),
                             progress=_progress(emit, "backup", "reading flash", False))
        outcome.backups.append(info)
        return f"1 MiB and option bytes, sha256 {info['sha256'][:16]}...", info["file"]

    if name == "unlock-rdp":
        # The plan was made for a chip that could not be read (so it has no backup step). If it can be read now
        # (someone lifted the protection since the diagnosis), the regression would erase a flash nobody saved.
        if read_option_bytes(target).rdp_level == 0:
            raise ChipChanged("the chip changed since the diagnosis (it is no longer read-protected, so its flash "
                              "can be backed up); nothing was written; run `vescdoctor fix` again")
        emit(FixEvent("phase", "unlock", None, "lifting read protection: the chip erases its whole flash", True))
        write_option_bytes(target, rdp=0xAA, wrp_sectors=[])
        emit(FixEvent("log", "unlock", None, "RDP 0xAA written; resetting and reconnecting", True))
        _reset_and_reconnect(link)
        ob = read_option_bytes(link.target)
        if ob.rdp_level != 0:
            raise FixError(f"read protection is still level {ob.rdp_level} after the regression")
        emit(FixEvent("progress", "unlock", 1.0, "read protection lifted, flash erased", True))
        return "RDP 1 -> 0 (flash mass-erased by the chip), write protection cleared", None

    if name == "clear-wrp":
        emit(FixEvent("phase", "unlock", None, "clearing write protection", True))
        before = read_option_bytes(target).wrp_sectors
        write_option_bytes(target, wrp_sectors=[])
        _reset_and_reconnect(link)
        after = read_option_bytes(link.target).wrp_sectors
        if after:
            raise FixError(f"sector(s) {', '.join(map(str, after))} are still write-protected")
        emit(FixEvent("progress", "unlock", 1.0, "write protection cleared", True))
        return "cleared on sector(s) " + (", ".join(map(str, before)) or "none"), None

    if name in ("write-bootloader", "write-firmware"):
        what = "bootloader" if name == "write-bootloader" else "firmware"
        segments = [s for s in plan.segments if s.what == what]
        boot_hash = None
        if what == "firmware":
            boot_hash = sha256_range(target, *BOOTLOADER_RANGE)
        target.reset_and_halt()
        emit(FixEvent("phase", "erase", 0.0, f"erasing the sectors the {what} needs", True))
        checked = write_verified(
            target, [(s.address, s.data) for s in segments], what,
            on_erase=_progress(emit, "erase", f"erasing for the {what}", True),
            on_program=_progress(emit, "program", f"writing the {what}", True),
            on_verify=_progress(emit, "verify", f"verifying every byte of the {what}", True, announce=True),
            on_vector_page=lambda: emit(FixEvent("log", "program", None,
                                                 f"verified; writing the {what}'s vector table last", True)))
        detail = f"{checked} bytes written and verified"
        if boot_hash is not None:
            if sha256_range(target, *BOOTLOADER_RANGE) != boot_hash:
                raise FixError("sector 11 (the bootloader) changed during the firmware write")
            detail += "; sector 11 unchanged (sha256 before = after)"
        return detail, None

    if name == "reset":
        emit(FixEvent("phase", "reset", None, "resetting the chip: the firmware starts", False))
        try:
            target.reset()
        except Exception as exc:  # noqa: BLE001 - new firmware that takes the SWD pins ends the link at the reset
            LOG.debug("reset after the write: %s", exc)
            emit(FixEvent("log", "reset", None, "the SWD link ended at the reset (expected when the firmware uses the "
                                                "SWD pins); the fresh look below says whether the board is fine",
                          False))
            link.close()  # never raises: a session pyOCD cannot close still releases the probe
            return "reset; the SWD link ended with it (the firmware may use the SWD pins)", None
        link.close()
        return "reset", None

    if name == "reprobe":
        from ..diagnosis import run_diagnosis
        from ..graph.loader import load_graph

        emit(FixEvent("phase", "reprobe", None, "looking again: USB, the VESC's reply, the flash", False))
        if firmware_should_enumerate(plan):
            log = lambda line: emit(FixEvent("log", "reprobe", None, line, False))  # noqa: E731
            waited = wait_for_vesc_usb(env)
            if waited is None:
                log(f"USB: no VESC (0483:5740) after waiting {USB_WAIT_SECONDS:.0f} s; looking anyway")
            else:
                log(f"USB: the VESC (0483:5740) enumerated after {waited:.1f} s")
        given = {k: v for k, v in (answers or {}).items() if k == "hw"}
        after = run_diagnosis(env, load_graph(), answers=given,
                              emit=lambda line: emit(FixEvent("log", "reprobe", None, line, False)))
        outcome.after = after
        facts = after.result.facts or {}
        hw = facts.get("vesc.hw_name")
        usb = "USB enumerates" if facts.get("usb.vesc_present") else "no VESC on USB"
        answer = f"the VESC answers as HW {hw}" if hw else "the VESC does not answer"
        if hw and plan.board_hw and hw != plan.board_hw:
            answer += f" (expected {plan.board_hw})"
        return f"verdict {after.verdict}; {usb}; {answer}", None
    raise FixError(f"unknown step {name!r}")


def _fixed(after) -> bool:
    """Whether the fresh look after a fix finds the board fine: healthy, or swd-needs-reset and nothing else."""
    if after.verdict not in DONE_VERDICTS:
        return False
    return not (set(after.result.findings or ()) - DONE_VERDICTS)


def firmware_should_enumerate(plan: Plan) -> bool:
    """Whether a VESC can be expected on USB after `plan` ran: not when the cable or BOOT0 keep it off USB, nor when
    the flash holds no runnable firmware and the plan writes none."""
    codes = {plan.verdict, *(plan.findings or ())}
    if codes & NO_ENUMERATION:
        return False
    return "write-firmware" in plan.step_names or not (codes & NO_FIRMWARE)


def _vesc_on_usb(env) -> bool:
    try:
        ports = env.serial_ports()
    except Exception as exc:  # noqa: BLE001 - a port listing that fails is a port not (yet) there
        LOG.debug("listing serial ports: %s", exc)
        return False
    return any((getattr(p, "vid", None), getattr(p, "pid", None)) == VESC_CDC for p in ports)


def wait_for_vesc_usb(env, timeout: float = USB_WAIT_SECONDS, interval: float = USB_POLL_SECONDS, *,
                      clock: Callable[[], float] | None = None,
                      sleep: Callable[[float], None] | None = None) -> float | None:
    """Poll `env`'s serial ports for the VESC's CDC device (0483:5740) every `interval` s for up to `timeout` s.
    Returns the seconds it took (0.0 when it is there at the first look: no sleep), or None if it never came."""
    clock, sleep = clock or time.monotonic, sleep or time.sleep
    start = clock()
    while True:
        if _vesc_on_usb(env):
            return clock() - start
        left = timeout - (clock() - start)
        if left <= 0:
            return None
        sleep(min(interval, left))


def _reset_and_reconnect(link) -> None:
    try:
        link.target.reset_and_halt()
    except Exception as exc:  # noqa: BLE001 - the reconnect below says whether the chip is back
        LOG.debug("reset after option bytes: %s", exc)
    link.close()
    if not link.connect():
        raise FixError("the chip did not answer after the reset that applies the option bytes")
    link.target.halt()
