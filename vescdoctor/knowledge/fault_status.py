"""The Cortex-M4's fault status registers in words: CFSR (0xE000ED28) and HFSR (0xE000ED2C), bit by bit as the
ARMv7-M Architecture Reference Manual (DDI 0403E) names them, B3.2.15 (CFSR = MMFSR bits 7:0, BFSR 15:8,
UFSR 31:16) and B3.2.16 (HFSR), with what each means for a VESC rider whose firmware does not run.

`meaning()` reads the bits the way a forum expert does (docs/rules.md, "Fault status in words"): a fault on the
first instructions, a vector-table read or an instruction the core cannot run says the image itself cannot run on
this chip (built for another address, another toolchain or another board): write an official firmware again; a
data bus fault, a stacking fault or a division by zero in firmware that is fine elsewhere points at what it reads
at start (the configuration, a LispBM script).
"""
from __future__ import annotations

from dataclasses import dataclass

CFSR_ADDR, HFSR_ADDR = 0xE000ED28, 0xE000ED2C


@dataclass(frozen=True)
class FaultBit:
    bit: int
    name: str
    words: str  # what happened, in a rider's words
    family: str  # image | data | stack | arith | info: what it points at (meaning())


CFSR_BITS: tuple[FaultBit, ...] = (
    # MemManage (MMFSR, B3.2.15)
    FaultBit(0, "IACCVIOL", "fetched an instruction from memory it may not execute", "image"),
    FaultBit(1, "DACCVIOL", "read or wrote memory it may not access", "data"),
    FaultBit(3, "MUNSTKERR", "memory fault unstacking an exception return", "stack"),
    FaultBit(4, "MSTKERR", "memory fault stacking for an exception: stack overflow", "stack"),
    FaultBit(5, "MLSPERR", "memory fault saving the FPU state", "stack"),
    FaultBit(7, "MMARVALID", "MMFAR holds the faulting address", "info"),
    # BusFault (BFSR)
    FaultBit(8, "IBUSERR", "bus error fetching an instruction", "image"),
    FaultBit(9, "PRECISERR", "bus error on a data access, precise: the PC is the culprit", "data"),
    FaultBit(10, "IMPRECISERR", "bus error on a data write, imprecise: found later", "data"),
    FaultBit(11, "UNSTKERR", "bus fault unstacking an exception return", "stack"),
    FaultBit(12, "STKERR", "bus fault stacking for an exception: stack overflow", "stack"),
    FaultBit(13, "LSPERR", "bus fault saving the FPU state", "stack"),
    FaultBit(15, "BFARVALID", "BFAR holds the faulting address", "info"),
    # UsageFault (UFSR)
    FaultBit(16, "UNDEFINSTR", "an instruction this core does not have", "image"),
    FaultBit(17, "INVSTATE", "tried to run code in ARM state; a Cortex-M runs only Thumb", "image"),
    FaultBit(18, "INVPC", "an invalid exception return: corrupt stack or EXC_RETURN", "stack"),
    FaultBit(19, "NOCP", "used the FPU coprocessor while it was off", "image"),
    FaultBit(24, "UNALIGNED", "an unaligned memory access with alignment trapping on", "arith"),
    FaultBit(25, "DIVBYZERO", "divided by zero with the trap on", "arith"),
)
HFSR_BITS: tuple[FaultBit, ...] = (
    FaultBit(1, "VECTTBL", "reading the vector table failed while taking an exception", "image"),
    FaultBit(30, "FORCED", "a fault escalated to HardFault: its own handler was off or faulted", "info"),
    FaultBit(31, "DEBUGEVT", "a debug event escalated to HardFault", "info"),
)


def bits(cfsr: int | None, hfsr: int | None) -> list[FaultBit]:
    """The named bits set: HFSR's first (the HardFault), then CFSR's (what caused it)."""
    out = [b for b in HFSR_BITS if hfsr is not None and hfsr >> b.bit & 1]
    return out + [b for b in CFSR_BITS if cfsr is not None and cfsr >> b.bit & 1]


def names(cfsr: int | None, hfsr: int | None) -> list[str]:
    return [b.name for b in bits(cfsr, hfsr)]


def describe(cfsr: int | None, hfsr: int | None) -> str:
    """'HFSR FORCED (...); CFSR PRECISERR (...), BFARVALID (...)' or 'no fault recorded'."""
    set_bits = bits(cfsr, hfsr)
    if not set_bits:
        return "no fault recorded (CFSR and HFSR are 0)"
    parts = []
    for register, table in (("HFSR", HFSR_BITS), ("CFSR", CFSR_BITS)):
        here = [f"{b.name} ({b.words})" for b in set_bits if b in table]
        if here:
            parts.append(f"{register} " + ", ".join(here))
    return "; ".join(parts)


def family(cfsr: int | None, hfsr: int | None) -> str | None:
    """What the fault points at, strongest first: image | stack | data | arith; None without a cause bit."""
    found = {b.family for b in bits(cfsr, hfsr)}
    for kind in ("image", "stack", "data", "arith"):
        if kind in found:
            return kind
    return None


MEANING = {
    "image": "the firmware image itself cannot run on this chip - typically built for another start address, with "
             "the wrong toolchain or compiler options, or for another board (an INVSTATE or IACCVIOL right at start "
             "is the classic sign). Erasing the configuration will not help: write an official firmware for your "
             "hardware again",
    "stack": "the firmware ran out of stack or returned into garbage - a LispBM script or a setting that makes it "
             "recurse or allocate too much is the usual trigger; erase the scripts or the configuration (the backup "
             "keeps them), then write the firmware again if that is not it",
    "data": "the firmware read or wrote memory or a peripheral that is not there - most often something it loads at "
            "start (a configuration or a LispBM script made for other firmware or hardware), or firmware for "
            "another board; erase the scripts or the configuration first (the backup keeps them)",
    "arith": "the firmware divided by zero or made an unaligned access - typically a configuration value of 0 or out "
             "of range; erase the configuration (the backup keeps it) and set the motor up again",
}


def meaning(cfsr: int | None, hfsr: int | None) -> str:
    """For the rider: what the recorded fault points at, and what to do."""
    kind = family(cfsr, hfsr)
    if kind is None:
        return "the fault registers name no cause (a watchdog reset or a hang leaves them empty)"
    return MEANING[kind]
