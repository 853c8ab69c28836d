"""Run a UsbPlan: save the configuration, install the bootloader, update the firmware, ask the firmware again.

Progress and the outcome are those of the SWD path (fixes.execute.FixEvent / FixOutcome), so the CLI, the TUI and
the report show both alike. Each destructive step is written to the journal first (journal.py); a failure ends the
run with ok=False and a one-line message that says what the board holds now and what the next run does.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..fixes.backup import board_tag
from ..fixes.events import FixEvent, Phase
from ..fixes.execute import FixOutcome
from . import journal, transfer
from .link import UsbRepairError, VescLink
from .plan import UsbPlan

# A VESC is back on USB about a second after the bootloader's reset (longer on a first boot, which writes the CRC
# words and resets again); the copy of a compressed 6.x image takes a few seconds before that.
COME_BACK_SECONDS, POLL_SECONDS = 30.0, 0.2


def save_config(link: VescLink, plan: UsbPlan, backup_dir: Path) -> dict:
    """COMM_GET_MCCONF / COMM_GET_APPCONF as raw bytes, with the firmware version they belong to."""
    from ..protocol.commands import Command

    confs = {name: link.call(bytes((cmd,)))[1:].hex() for name, cmd in
             (("mcconf", Command.GET_MCCONF), ("appconf", Command.GET_APPCONF))}
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(backup_dir) / f"vesc-{board_tag(plan.board_uid)}-{stamp}-config-usb.json"
    for i in range(1, 1000):
        if not path.exists():
            break
        path = path.with_name(f"vesc-{board_tag(plan.board_uid)}-{stamp}-{i}-config-usb.json")
    doc = {"format": "vescdoctor-usb-config", "version": 1, "fw_version": plan.fw_version_before,
           "hw": plan.board_hw, "board_uid": plan.board_uid, "note": "serialised by the firmware; only the same "
           "firmware version reads it back (COMM_SET_MCCONF / COMM_SET_APPCONF)", **confs}
    text = json.dumps(doc, indent=1).encode()
    path.write_bytes(text)
    return {"file": str(path), "sha256": hashlib.sha256(text).hexdigest(), "size": len(text), "kind": "config-usb",
            "fw_version": plan.fw_version_before}


def wait_for_firmware(env: Any, seconds: float = COME_BACK_SECONDS) -> Any:
    """The FwVersion of the firmware once it is back on USB, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with VescLink(env) as link:
                return link.fw_version()
        except UsbRepairError:
            time.sleep(POLL_SECONDS)
    return None


class _Run:
    def __init__(self, plan: UsbPlan, env: Any, on_event: Callable[[FixEvent], None], backup_dir: Path):
        self.plan, self.env, self.emit, self.backup_dir = plan, env, on_event, Path(backup_dir)
        self.outcome = FixOutcome(ok=False)

    def progress(self, phase: Phase, message: str) -> Callable[[float], None]:
        return lambda f: self.emit(FixEvent.progress(phase, f, message, True))

    def step(self, name: str, detail: str, **extra: Any) -> None:
        self.outcome.actions.append({"step": name, "ok": True, "detail": detail, "via": "usb", **extra})

    def run(self) -> FixOutcome:
        plan = self.plan
        try:
            with VescLink(self.env) as link:
                fw = link.fw_version()
                if plan.board_uid and fw.uuid_hex and fw.uuid_hex != plan.board_uid:
                    raise UsbRepairError("this is not the board that was diagnosed (another UID); nothing was "
                                         "changed")
                if "save-config" in plan.step_names:
                    self.emit(FixEvent.start(Phase.BACKUP, "Saving the configuration over USB", False))
                    info = save_config(link, plan, self.backup_dir)
                    self.outcome.backups.append(info)
                    self.step("save-config", f"configuration of FW {fw.version} saved to {info['file']}",
                              file=info["file"])
                self._bootloader(link, (fw.major, fw.minor))
                if plan.firmware is not None:
                    self._firmware(link)
            if plan.firmware is not None:
                self._after_jump()
            else:
                self._reprobe()
        except UsbRepairError as exc:
            self.outcome.actions.append({"step": self._current, "ok": False, "detail": str(exc), "error": str(exc),
                                         "via": "usb"})
            self.outcome.message = self._failure(str(exc))
            return self.outcome
        journal.finish(self.backup_dir, plan.board_uid)
        self.outcome.ok = True
        done = "bootloader installed" + (f", firmware {plan.fw_version_after} running" if plan.firmware else "")
        self.outcome.message = f"done over USB: {done}" + self.outcome.backup_note
        return self.outcome

    _current = "connect"

    def _begin(self, step: str) -> None:
        self._current = step
        journal.begin(self.backup_dir, self.plan.board_uid, step, self.plan.fw_version_before, self.plan.images)

    def _bootloader(self, link: VescLink, fw: tuple[int, int]) -> None:
        self._begin("usb-write-bootloader")
        self.emit(FixEvent.start(Phase.PROGRAM, "Installing the bootloader over USB", True))
        erased = transfer.upload_bootloader(link, self.plan.bootloader, fw, self.progress(Phase.PROGRAM, "bootloader"))
        how = "sector 11 erased by the firmware, then" if erased else "firmware < 3.59 cannot erase sector 11:"
        self.step("usb-write-bootloader", f"{how} {len(self.plan.bootloader)} bytes written at 0x080E0000, every "
                                          "chunk acknowledged")

    def _firmware(self, link: VescLink) -> None:
        plan = self.plan
        assert plan.firmware is not None and plan.buffer is not None  # a plan with the step has both
        self._begin("usb-update-firmware")
        self.emit(FixEvent.start(Phase.PROGRAM, "Writing the update into the buffer", True))
        transfer.upload_firmware(link, plan.firmware, plan.buffer, self.progress(Phase.PROGRAM, "firmware"))
        self._begin("bootloader-copy")
        self.emit(FixEvent.start(Phase.RESET, "The bootloader copies the update (the LEDs blink)", True))
        transfer.jump_to_bootloader(link)

    def _after_jump(self) -> None:
        plan = self.plan
        self._current = "usb-update-firmware"
        self.emit(FixEvent.start(Phase.REPROBE, "Waiting for the VESC to come back on USB", False))
        fw = wait_for_firmware(self.env)
        if fw is None:
            raise UsbRepairError("the VESC did not come back on USB after the bootloader's copy")
        if plan.fw_version_after and fw.version != plan.fw_version_after:
            raise UsbRepairError(f"the old firmware came back (FW {fw.version}, not {plan.fw_version_after}): the "
                                 "bootloader did not copy the update")
        packed = " (heatshrink-compressed)" if plan.buffer and plan.buffer.compressed else ""
        self.step("usb-update-firmware", f"FW {fw.version} running after the bootloader copied the update{packed}")
        self.step("reprobe", f"the VESC answers: FW {fw.version}, HW {fw.hw_name}")

    def _reprobe(self) -> None:
        self._current = "reprobe"
        fw = wait_for_firmware(self.env, 5.0)
        if fw is None:
            raise UsbRepairError("the VESC stopped answering on USB")
        self.step("reprobe", f"the VESC answers: FW {fw.version}, HW {fw.hw_name}")

    def _failure(self, why: str) -> str:
        step = self._current
        if step == "bootloader-copy" or (step == "usb-update-firmware" and "come back" in why):
            return (f"{why}; the application may be gone: if the VESC stays dark, only SWD can go on "
                    "(connect an ST-Link and run vescdoctor fix --via swd)")
        if step in ("usb-write-bootloader", "usb-update-firmware"):
            return (f"{why}; the firmware still runs, but sector 11 may hold a torn bootloader: do not update "
                    "from VESC Tool now; plug the cable back in and run `vescdoctor fix` again (the same images): "
                    "it starts over with the bootloader")
        return why


def execute_usb_plan(plan: UsbPlan, env: Any, *, on_event: Callable[[FixEvent], None],
                     backup_dir: Path) -> FixOutcome:
    return _Run(plan, env, on_event, backup_dir).run()
