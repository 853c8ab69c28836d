"""Fault exceptions of the Cortex-M4 as the ARMv7-M Architecture Reference Manual (DDI 0403E) defines them, for the
code the bench executes: exception entry to HardFault (B1.5.6 PushStack, B1.5.8 fault escalation), lockup
(B1.5.15), exception return (B1.5.8 ExceptionReturn), and the fault status registers (B3.2.15 CFSR, B3.2.16 HFSR).

Configurable faults (UsageFault, BusFault, MemManage) are disabled at reset (SHCSR = 0), so every fault escalates
to HardFault (exception 3) with HFSR.FORCED; the CFSR bit says what happened. A fault while in HardFault or NMI, or
while stacking or fetching the HardFault vector, locks the core up. Not modelled: the FP extended frame (lazy
stacking; pyOCD's and vescdoctor's code in RAM use no FP), priorities of enabled configurable faults, interrupts.
"""
from __future__ import annotations

import struct

from unicorn import arm_const as A

from ..knowledge.flash import CCM_BASE, CCM_SIZE, SRAM_BASE, SRAM_SIZE

HARDFAULT = 3
VTOR, SHCSR, CFSR, HFSR = 0xE000ED08, 0xE000ED24, 0xE000ED28, 0xE000ED2C
HFSR_FORCED = 1 << 30
# CFSR bits (B3.2.15): MMFSR IACCVIOL, BFSR IBUSERR, UFSR UNDEFINSTR / INVSTATE / NOCP
IACCVIOL, IBUSERR, PRECISERR, UNDEFINSTR, INVSTATE, NOCP = 1 << 0, 1 << 8, 1 << 9, 1 << 16, 1 << 17, 1 << 19
XPSR_ALIGN = 1 << 9
EXC_RETURN_HANDLER, EXC_RETURN_THREAD_MSP, EXC_RETURN_THREAD_PSP = 0xFFFFFFF1, 0xFFFFFFF9, 0xFFFFFFFD
FRAME_REGS = (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3, A.UC_ARM_REG_R12,
              A.UC_ARM_REG_LR)


def instruction_fetch_fault(addr: int) -> int:
    """The CFSR bit an instruction fetch from `addr` sets: the default memory map makes the peripheral, device and
    system regions execute-never (B3.1, table B3-1: MemManage IACCVIOL); the F405's CCM RAM sits on the D-bus only
    (RM0090 2.1, figure 1: no I-bus path), so a fetch there is a bus error (IBUSERR)."""
    return IBUSERR if CCM_BASE <= addr < CCM_BASE + CCM_SIZE else IACCVIOL


def _stack_ok(addr: int) -> bool:
    return SRAM_BASE <= addr and addr + 32 <= SRAM_BASE + SRAM_SIZE or \
        CCM_BASE <= addr and addr + 32 <= CCM_BASE + CCM_SIZE


def take_fault(core, cfsr_bit: int, return_address: int) -> bool:
    """Enter HardFault for a fault of the instruction at `return_address`. False when the core locked up instead."""
    uc, ppb = core.uc, core.chip.ppb
    xpsr = core.read_raw_register(16) & ~(1 << 24) | (core.tbit << 24)
    ipsr = xpsr & 0x1FF
    ppb.write32(CFSR, ppb.read32(CFSR) | cfsr_bit)
    ppb.write32(HFSR, ppb.read32(HFSR) | HFSR_FORCED)
    if ipsr in (2, HARDFAULT):
        return core.lock_up(return_address)  # a fault in the HardFault or NMI handler
    control = uc.reg_read(A.UC_ARM_REG_CONTROL)
    use_psp = ipsr == 0 and control & 2
    sp = uc.reg_read(A.UC_ARM_REG_PSP if use_psp else A.UC_ARM_REG_MSP)
    align = sp & 4
    frame = (sp - align - 32) & 0xFFFFFFFF
    if not _stack_ok(frame):
        return core.lock_up(return_address)  # stacking fails: derived fault on entry to HardFault
    words = [uc.reg_read(r) & 0xFFFFFFFF for r in FRAME_REGS] + [return_address & ~1, xpsr | (XPSR_ALIGN if align
                                                                                             else 0)]
    core.chip.debug_write(frame, struct.pack("<8I", *words), 4)
    try:
        vector = struct.unpack("<I", core.chip.debug_read(ppb.read32(VTOR) + 4 * HARDFAULT, 4, 4))[0]
    except Exception:  # noqa: BLE001 - a bus fault on the vector fetch: lockup
        return core.lock_up(return_address)
    uc.reg_write(A.UC_ARM_REG_CONTROL, control & ~2)
    uc.reg_write(A.UC_ARM_REG_MSP, frame)
    uc.reg_write(A.UC_ARM_REG_SP, frame)
    uc.reg_write(A.UC_ARM_REG_LR, EXC_RETURN_HANDLER if ipsr else
                 EXC_RETURN_THREAD_PSP if use_psp else EXC_RETURN_THREAD_MSP)
    uc.reg_write(A.UC_ARM_REG_XPSR, (xpsr & 0xF8000000) | HARDFAULT | ((vector & 1) << 24))
    uc.reg_write(A.UC_ARM_REG_PC, vector & ~1)
    core.tbit = vector & 1  # an even handler address: INVSTATE on its first instruction, in HardFault: lockup
    return True


def exception_return(core, exc_return: int) -> None:
    """Return from an exception handler: unstack the frame and go back to the mode EXC_RETURN names."""
    uc = core.uc
    use_psp = exc_return & 0xF == 0xD
    sp = uc.reg_read(A.UC_ARM_REG_PSP if use_psp else A.UC_ARM_REG_MSP)
    words = struct.unpack("<8I", core.chip.debug_read(sp, 32, 4))
    for reg, value in zip(FRAME_REGS, words):
        uc.reg_write(reg, value)
    xpsr = words[7]
    sp += 32 + (4 if xpsr & XPSR_ALIGN else 0)
    if use_psp:
        uc.reg_write(A.UC_ARM_REG_CONTROL, uc.reg_read(A.UC_ARM_REG_CONTROL) | 2)
        uc.reg_write(A.UC_ARM_REG_PSP, sp)
    else:
        uc.reg_write(A.UC_ARM_REG_MSP, sp)
    uc.reg_write(A.UC_ARM_REG_XPSR, xpsr & ~XPSR_ALIGN)
    uc.reg_write(A.UC_ARM_REG_PC, words[6] & ~1)
    core.tbit = xpsr >> 24 & 1
