"""What a running VESC firmware looks like to a debugger that halts it (board.md, "More board fields").

The bench does not execute the VESC firmware (docs/bench.md, "Running firmware" says why); it models where a
halt finds the core, from the image itself, for each `firmware_run`:
- runs: in the firmware's idle loop, thread mode: the first WFI instruction of the image's code (ChibiOS's idle
  thread sleeps there between interrupts, so a halt lands there nearly always), else an address past the reset
  handler;
- hardfault: in the image's own HardFault handler (its vector 3), IPSR 3, HFSR.FORCED and in CFSR a precise bus
  fault (run_cause config, lisp) or INVSTATE (run_cause code: the build cannot run here); the firmware spins there;
- lockup: the core locked up (DHCSR.S_LOCKUP), PC 0xFFFFFFFE;
- watchdog-loop: restarting: RCC_CSR.IWDGRSTF set, the core found at its reset handler;
- hang: in a loop of its own code (the first `b .` in the image, else past the reset handler) with PRIMASK set.
A board's crash applies to the image it was made with (its digest is kept in board.yaml as firmware_run_image):
other firmware runs; with run_cause `config`, erasing the config sectors (1-2) cures it too; with run_cause `lisp`
(a LispBM script or QML data the firmware loads at start crashes it), erasing the sectors the image's generation
keeps LispBM and QML data in (knowledge.generations: 9-10 from 6.00, 8-10 from 6.06, 7 in 5.03) cures it.
"""
from __future__ import annotations

import hashlib
import struct

from unicorn import arm_const as A

from ..knowledge.flash import BUFFER_BASE, FLASH_BASE, SECTORS
from ..knowledge.generations import SCRIPT_ROLES, generation_of
from . import exceptions

RCC_CSR = 0x40023874
RCC_CSR_RESET = 0x0E000000  # PORRSTF | PINRSTF | BORRSTF after a power-on (RM0090 7.3.21)
IWDGRSTF = 1 << 29
WFI, LOOP = b"\x30\xbf", b"\xfe\xe7"
CODE_SCAN = 0x40000  # look for the idle loop in the first 256 KiB of the image


def app_digest(flash: bytes | bytearray) -> str:
    """The application image's identity, blind to the CRC words its first boot writes (both release layouts) and
    to the config sectors 1-2 (the configuration is not the firmware: erasing it must not make it other firmware)."""
    app = bytearray(flash[:BUFFER_BASE - FLASH_BASE])
    for sector in SECTORS:
        if sector.role == "config":
            app[sector.address - FLASH_BASE:sector.end - FLASH_BASE] = b"\xff" * sector.size
    for words in (0x0805FFF0, 0x0807FFF0):
        app[words - FLASH_BASE:words - FLASH_BASE + 16] = bytes(16)
    return hashlib.sha256(app).hexdigest()


def script_sectors(version: tuple[int, int] | None) -> list[int]:
    """The sectors where firmware of `version` keeps LispBM code/image and QML data (none before 5.03 QML)."""
    generation = generation_of(version) if version is not None else None
    if generation is None:
        return []
    return [n for n in generation.data_sectors() if generation.role(n) in SCRIPT_ROLES]


def _blank(flash: bytes | bytearray, numbers: list[int]) -> bool:
    sectors = [SECTORS[n] for n in numbers]
    return all(flash[s.address - FLASH_BASE:s.end - FLASH_BASE].count(0xFF) == s.size for s in sectors)


def crash(board, flash: bytes | bytearray, version: tuple[int, int] | None = None) -> str | None:
    """The board's `firmware_run` when it applies to the image in `flash` (of firmware `version`), else None (the
    firmware runs)."""
    config = board.config
    if config.firmware_run == "runs":
        return None
    if config.firmware_run_image is not None and config.firmware_run_image != app_digest(flash):
        return None  # other firmware: it runs
    if config.run_cause == "config" and _blank(flash, [s.number for s in SECTORS if s.role == "config"]):
        return None
    scripts = script_sectors(version) if config.run_cause == "lisp" else []
    if scripts and _blank(flash, scripts):
        return None  # nothing for the firmware to load at start: it runs
    return config.firmware_run


def _find(flash: bytes | bytearray, pattern: bytes, start: int) -> int | None:
    at = bytes(flash[:CODE_SCAN]).find(pattern, start - FLASH_BASE)
    while at >= 0 and at % 2:
        at = bytes(flash[:CODE_SCAN]).find(pattern, at + 1)
    return FLASH_BASE + at if at >= 0 else None


def halt_in_firmware(core, how: str | None) -> None:
    """Registers as a halt finds the running firmware (`how`: None when it runs, else its firmware_run)."""
    flash = core.chip.board.flash
    sp, reset = struct.unpack_from("<II", flash, 0)
    code = (reset & ~1) + 0x20
    uc = core.uc
    thread_sp = (sp - 0x100) & ~7
    pc, xpsr, primask = code, 0x01000000, 0
    if how is None:
        pc = _find(flash, WFI, code) or code
    elif how == "hardfault":
        pc = struct.unpack_from("<I", flash, 12)[0] & ~1
        xpsr = 0x01000000 | exceptions.HARDFAULT
        thread_sp -= 32
        uc.reg_write(A.UC_ARM_REG_LR, exceptions.EXC_RETURN_THREAD_MSP)
        # What the fault registers hold (ARMv7-M B3.2.15): a build that cannot run here faults on its first
        # instructions (INVSTATE: ARM-state code, the classic wrong-toolchain image); a configuration or a script
        # makes working code read where nothing is (a precise data bus error, BFARVALID).
        cause = core.chip.board.config.run_cause
        core.chip.ppb.write32(exceptions.CFSR, exceptions.INVSTATE if cause == "code"
                              else exceptions.PRECISERR | 1 << 15)
        core.chip.ppb.write32(exceptions.HFSR, exceptions.HFSR_FORCED)
    elif how == "hang":
        pc, primask = _find(flash, LOOP, code) or code, 1
    elif how == "watchdog-loop":
        pc, thread_sp = reset & ~1, sp
    uc.reg_write(A.UC_ARM_REG_MSP, thread_sp)
    uc.reg_write(A.UC_ARM_REG_SP, thread_sp)
    uc.reg_write(A.UC_ARM_REG_PRIMASK, primask)
    uc.reg_write(A.UC_ARM_REG_XPSR, xpsr)
    uc.reg_write(A.UC_ARM_REG_PC, pc)
    core.tbit = 1
