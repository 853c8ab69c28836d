"""Step `reprobe`: the fresh look after a fix (USB, the VESC's reply, the flash map): a whole diagnosis, whose
verdict says whether the fix did its job."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...knowledge.usb_ids import VESC_CDC
from ..events import Phase
from . import Step, StepContext, StepResult

if TYPE_CHECKING:
    from ...environment import Environment
    from ..plan import Plan

LOG = logging.getLogger(__name__)

# After the reset a real VESC needs a second or more to enumerate (longer on first boot: it writes its CRC words and
# resets itself): the fresh look waits for its USB device this long, looking this often.
USB_WAIT_SECONDS, USB_POLL_SECONDS = 5.0, 0.2
# Findings after which no VESC can appear on USB whatever the fix wrote: waiting for it would only cost time.
NO_ENUMERATION = frozenset({"usb-cable", "dfu-mode"})
# Findings that mean no runnable VESC firmware in flash, unless the plan writes firmware.
NO_FIRMWARE = frozenset({"app-missing", "firmware-crc-mismatch", "unknown-firmware", "read-protected"})


def run(ctx: StepContext) -> StepResult:
    from ...diagnosis import run_diagnosis
    from ...graph.loader import load_graph

    ctx.start(Phase.REPROBE, "looking again: USB, the VESC's reply, the flash", False)

    def log(line: str) -> None:
        ctx.log(Phase.REPROBE, line, False)
    if firmware_should_enumerate(ctx.plan):
        waited = wait_for_vesc_usb(ctx.env)
        if waited is None:
            log(f"USB: no VESC (0483:5740) after waiting {USB_WAIT_SECONDS:.0f} s; looking anyway")
        else:
            log(f"USB: the VESC (0483:5740) enumerated after {waited:.1f} s")
    given = {k: v for k, v in ctx.answers.items() if k == "hw"}
    after = run_diagnosis(ctx.env, load_graph(), answers=given, emit=log)
    ctx.outcome.after = after
    facts = after.result.facts or {}
    hw = facts.get("vesc.hw_name")
    usb = "USB enumerates" if facts.get("usb.vesc_present") else "no VESC on USB"
    answer = f"the VESC answers as HW {hw}" if hw else "the VESC does not answer"
    if hw and ctx.plan.board_hw and hw != ctx.plan.board_hw:
        answer += f" (expected {ctx.plan.board_hw})"
    return StepResult(f"verdict {after.verdict}; {usb}; {answer}")


def firmware_should_enumerate(plan: Plan) -> bool:
    """Whether a VESC can be expected on USB after `plan` ran: not when the cable or BOOT0 keep it off USB, nor when
    the flash holds no runnable firmware and the plan writes none."""
    codes = {plan.verdict, *(plan.findings or ())}
    if codes & NO_ENUMERATION:
        return False
    return "write-firmware" in plan.step_names or not (codes & NO_FIRMWARE)


def _vesc_on_usb(env: Environment) -> bool:
    try:
        ports = env.serial_ports()
    except Exception as exc:  # noqa: BLE001 - a port listing that fails is a port not (yet) there
        LOG.debug("listing serial ports: %s", exc)
        return False
    return any((p.vid, p.pid) == VESC_CDC for p in ports)


def wait_for_vesc_usb(env: Environment, timeout: float = USB_WAIT_SECONDS, interval: float = USB_POLL_SECONDS, *,
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


STEP = Step("reprobe", "Look again: USB, the VESC's reply, the flash map", destructive=False,
            phases=(Phase.REPROBE,), run=run)
