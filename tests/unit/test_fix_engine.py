"""Fix-engine decisions without a board: when a repair counts as done, the wait for the VESC on USB after a fix
(a fake clock, no sleeping), and when the firmware is not expected to enumerate."""
from __future__ import annotations

import types

import pytest

from vescdoctor.fixes import execute
from vescdoctor.fixes.plan import Plan, PlanStep
from vescdoctor.fixes.steps import reprobe


def test_after_verdict_swd_needs_reset_counts_only_alone():
    def after(verdict, findings):
        return types.SimpleNamespace(verdict=verdict, result=types.SimpleNamespace(findings=findings))
    assert execute._fixed(after("healthy", []))
    assert execute._fixed(after("swd-needs-reset", ["swd-needs-reset"]))
    assert execute._fixed(after("healthy", ["swd-needs-reset"]))
    assert not execute._fixed(after("swd-needs-reset", ["swd-needs-reset", "bootloader-missing"]))
    assert not execute._fixed(after("app-missing", ["app-missing", "swd-needs-reset"]))


class FakeClock:
    def __init__(self):
        self.now, self.sleeps = 100.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class SlowUsb:
    """A VESC that enumerates after `after` looks at the serial ports (never, for None)."""

    def __init__(self, after: int | None):
        self.after, self.looks = after, 0

    def serial_ports(self):
        self.looks += 1
        if self.after is not None and self.looks > self.after:
            return [types.SimpleNamespace(vid=0x0483, pid=0x5740, device="/dev/ttyACM0")]
        return [types.SimpleNamespace(vid=0x0483, pid=0x3748, device="/dev/ttyACM1")]  # an ST-Link's VCP


def test_wait_for_vesc_usb_polls_every_0_2_s():
    clock = FakeClock()
    env = SlowUsb(after=7)
    assert reprobe.wait_for_vesc_usb(env, clock=clock, sleep=clock.sleep) == pytest.approx(1.4)
    assert clock.sleeps == [pytest.approx(0.2)] * 7


def test_wait_for_vesc_usb_gives_up_after_5_s():
    clock = FakeClock()
    assert reprobe.wait_for_vesc_usb(SlowUsb(after=None), clock=clock, sleep=clock.sleep) is None
    assert sum(clock.sleeps) == pytest.approx(5.0) and len(clock.sleeps) == 25


def test_wait_for_vesc_usb_does_not_sleep_when_it_is_there():
    clock = FakeClock()
    assert reprobe.wait_for_vesc_usb(SlowUsb(after=0), clock=clock, sleep=clock.sleep) == 0.0
    assert clock.sleeps == []


def test_no_wait_when_the_firmware_cannot_enumerate():
    def plan(verdict, steps, findings=()):
        return Plan(verdict, [PlanStep(s, s, False) for s in steps], [], [], "", findings=list(findings))
    assert reprobe.firmware_should_enumerate(plan("app-missing", ["backup", "write-firmware", "reset", "reprobe"]))
    assert reprobe.firmware_should_enumerate(plan("bootloader-missing", ["backup", "write-bootloader", "reset"]))
    assert not reprobe.firmware_should_enumerate(plan("bootloader-missing", ["write-bootloader"], ["usb-cable"]))
    assert not reprobe.firmware_should_enumerate(plan("write-protected", ["clear-wrp"], ["dfu-mode"]))
    assert not reprobe.firmware_should_enumerate(plan("bootloader-missing", ["write-bootloader"], ["app-missing"]))
