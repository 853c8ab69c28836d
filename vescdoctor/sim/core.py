"""The Cortex-M4 core of the simulated STM32F405: Unicorn executes Thumb code; halting debug is modelled as the
ARMv7-M debug architecture defines it (DHCSR, DCRSR/DCRDR, DEMCR vector catch, DFSR, AIRCR resets).

Only code the debugger loads into RAM is executed (pyOCD's flash algorithm and CRC analyzer). When the core leaves
reset into flash, the firmware "runs" without being executed: the boot model says what it does. Execution happens
in slices when the debugger resumes the core and each time it polls DHCSR, so a halt request can stop it.

Speed (pyocd-notes.md): flash, SRAM and CCM are host buffers mapped into Unicorn (mem_map_ptr); flash is mapped
read-only and a write-protect hook hands each store to the FLASH interface model. Unicorn still performs the raw
store after the hook, so the cells the model computed are put back before the next register access, the next flash
store and the end of the slice (the only code storing to flash is the flash algorithm, which polls FLASH_SR after
every store). The translation cache is flushed on every resume because pyOCD rewrites code in RAM between calls.
"""
from __future__ import annotations

import ctypes
import enum
import struct

from unicorn import (
    UC_ARCH_ARM,
    UC_HOOK_INTR,
    UC_HOOK_MEM_WRITE_PROT,
    UC_MODE_MCLASS,
    UC_MODE_THUMB,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_NONE,
    UC_PROT_READ,
    UC_PROT_WRITE,
    Uc,
    UcError,
)
from unicorn import arm_const as A
from unicorn.unicorn_const import UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID

from ..knowledge.flash import CCM_BASE, CCM_SIZE, FLASH_BASE, FLASH_SIZE, SRAM_BASE, SRAM_SIZE
from . import exceptions, firmware_run
from . import ppb as P

SLICE_INSTRUCTIONS = 4_000_000
MAX_RESTARTS = 8  # faults and exception returns handled within one slice
EXCP_UDEF, EXCP_PREFETCH_ABORT, EXCP_BKPT, EXCP_EXCEPTION_EXIT = 1, 3, 7, 8  # QEMU's exception numbers
FETCH_ERRORS = (UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNMAPPED)

C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS = 1 << 0, 1 << 1, 1 << 2, 1 << 3
S_REGRDY, S_HALT, S_LOCKUP, S_RETIRE_ST, S_RESET_ST = 1 << 16, 1 << 17, 1 << 19, 1 << 24, 1 << 25
DBGKEY = 0xA05F
DFSR_HALTED, DFSR_BKPT, DFSR_VCATCH = 1 << 0, 1 << 1, 1 << 3
DEMCR_VC_CORERESET = 1 << 0
DEMCR_MASK = 0x010F07F1
AIRCR_VECTKEY = 0x05FA
AIRCR_VECTRESET, AIRCR_SYSRESETREQ = 1 << 0, 1 << 2
SYSMEM_BASE, SYSMEM_SIZE = 0x1FFF0000, 0x10000
PERIPH_PAGE = 0x40023000  # CRC, RCC and FLASH share this 4 KB page: served by callbacks
PPB_BASE, PPB_SIZE = 0xE0000000, 0x100000

REGS = {**{i: getattr(A, f"UC_ARM_REG_R{i}") for i in range(13)}, 13: A.UC_ARM_REG_SP, 14: A.UC_ARM_REG_LR,
        15: A.UC_ARM_REG_PC, 16: A.UC_ARM_REG_XPSR, 17: A.UC_ARM_REG_MSP, 18: A.UC_ARM_REG_PSP,
        33: A.UC_ARM_REG_FPSCR, **{64 + i: getattr(A, f"UC_ARM_REG_S{i}") for i in range(32)}}
CFBP = 20  # CONTROL[31:24] FAULTMASK[23:16] BASEPRI[15:8] PRIMASK[7:0]
CFBP_PARTS = ((A.UC_ARM_REG_CONTROL, 24), (A.UC_ARM_REG_FAULTMASK, 16), (A.UC_ARM_REG_BASEPRI, 8),
              (A.UC_ARM_REG_PRIMASK, 0))


class State(enum.Enum):
    HALTED = "halted"
    EMULATING = "running debugger-loaded code"
    FIRMWARE = "running the firmware"
    LOCKUP = "locked up"
    RESET = "held in reset"
    OFF = "unpowered"


class Core:
    def __init__(self, chip):
        self.chip = chip
        self.state = State.FIRMWARE
        self.debugen = False
        self.maskints = False
        self.halt_requested = False  # C_HALT written while in reset: halt on reset exit
        self.reset_sticky = False
        self.retired = False
        self.demcr = 0
        self.dfsr = 0
        self.dcrdr = 0
        self.tbit = 1  # EPSR.T, kept here: Unicorn always executes Thumb
        self.slices = 0  # emu_start calls, for benchmarks
        self._fixups: list[tuple[int, bytes]] = []
        self._stop_reason: str | None = None
        self._running_uc = False
        self._keep: list = []  # ctypes views: they pin the host buffers Unicorn points into
        self.uc = self._make_unicorn()

    # -- Unicorn setup -------------------------------------------------------------------------------------------------
    def _ptr(self, buf: bytearray) -> int:
        view = (ctypes.c_char * len(buf)).from_buffer(buf)
        self._keep.append(view)
        return ctypes.addressof(view)

    def _make_unicorn(self) -> Uc:
        chip = self.chip
        uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M4)
        flash_ptr = self._ptr(chip.board.flash)
        uc.mem_map_ptr(FLASH_BASE, FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC, flash_ptr)
        self._flash_ptr = flash_ptr
        self._alias = (FLASH_SIZE, flash_ptr, False)  # boot alias at 0: flash (BOOT0 low) or system memory
        uc.mem_map_ptr(0, FLASH_SIZE, UC_PROT_READ | UC_PROT_EXEC, flash_ptr)
        self._sysmem_ptr = None
        uc.mem_map_ptr(SRAM_BASE, SRAM_SIZE, UC_PROT_ALL, self._ptr(chip.sram))
        # CCM: data only (RM0090 2.1: no I-bus path); peripherals: execute-never (ARMv7-M B3.1, table B3-1)
        uc.mem_map_ptr(CCM_BASE, CCM_SIZE, UC_PROT_READ | UC_PROT_WRITE, self._ptr(chip.ccm))
        self._sysmem_ptr = self._ptr(chip.sysmem)
        uc.mem_map_ptr(SYSMEM_BASE, SYSMEM_SIZE, UC_PROT_READ | UC_PROT_EXEC, self._sysmem_ptr)
        uc.mem_map(0x40000000, PERIPH_PAGE - 0x40000000, UC_PROT_READ | UC_PROT_WRITE)
        uc.mmio_map(PERIPH_PAGE, 0x1000, self._mmio_read, None, self._mmio_write, None)
        uc.mem_map(PERIPH_PAGE + 0x1000, 0x40080000 - PERIPH_PAGE - 0x1000, UC_PROT_READ | UC_PROT_WRITE)
        uc.mem_map(0x50000000, 0x61000, UC_PROT_READ | UC_PROT_WRITE)
        uc.mmio_map(PPB_BASE, PPB_SIZE, self._ppb_read, None, self._ppb_write, None)
        uc.hook_add(UC_HOOK_MEM_WRITE_PROT, self._on_flash_store, begin=0, end=FLASH_BASE + FLASH_SIZE - 1)
        uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        return uc

    def set_flash_access(self, allowed: bool) -> None:
        """RDP level 1 in effect: the core's flash accesses fault too (the debugger is connected)."""
        perms = UC_PROT_READ | UC_PROT_EXEC if allowed else UC_PROT_NONE
        self.uc.mem_protect(FLASH_BASE, FLASH_SIZE, perms)
        size, _, system = self._alias
        self.uc.mem_protect(0, size, UC_PROT_READ | UC_PROT_EXEC if system else perms)

    def map_boot_alias(self, system: bool) -> None:
        """What address 0 shows, as the BOOT pins select at reset (RM0090 2.4, table 2): flash, or system memory
        when BOOT0 is high."""
        if system == self._alias[2]:
            return
        self.uc.mem_unmap(0, self._alias[0])
        self._alias = (SYSMEM_SIZE, self._sysmem_ptr, True) if system else \
            (FLASH_SIZE, self._flash_ptr, False)
        self.uc.mem_map_ptr(0, self._alias[0], UC_PROT_READ | UC_PROT_EXEC, self._alias[1])
        self.uc.ctl_flush_tb()

    # -- hooks (called from inside emu_start) ---------------------------------------------------------------------------
    def _apply_fixups(self) -> None:
        flash = self.chip.board.flash
        for offset, data in self._fixups:
            flash[offset:offset + len(data)] = data
        self._fixups.clear()

    def _on_flash_store(self, uc, access, addr, size, value, user_data) -> bool:
        self._apply_fixups()
        if addr < FLASH_BASE:
            addr += FLASH_BASE  # the boot alias at 0 writes the same cells
        if not self.chip.flash_readable():
            self._stop_reason = "bus fault: flash store under read protection"
            return False
        self.chip.flash_ctrl.program(addr, size, value)
        offset = addr - FLASH_BASE
        self._fixups.append((offset, bytes(self.chip.board.flash[offset:offset + size])))
        self._check_power(uc)
        return True

    def _mmio_read(self, uc, offset, size, user_data) -> int:
        self._apply_fixups()
        return self.chip.periph_read(PERIPH_PAGE + offset, size)

    def _mmio_write(self, uc, offset, size, value, user_data) -> None:
        self._apply_fixups()
        try:
            self.chip.periph_write(PERIPH_PAGE + offset, size, value)
        except Exception as exc:  # a bus error: the core would take a HardFault; we lock up
            self._stop_reason = f"bus fault: {exc}"
            uc.emu_stop()
        self._check_power(uc)

    def _ppb_read(self, uc, offset, size, user_data) -> int:
        return self.chip.ppb.read(PPB_BASE + offset, size)

    def _ppb_write(self, uc, offset, size, value, user_data) -> None:
        self.chip.ppb.write(PPB_BASE + offset, size, value)
        self._check_power(uc)

    def _on_interrupt(self, uc, intno, user_data) -> None:
        self._stop_reason = "bkpt" if intno == EXCP_BKPT else "excret" if intno == EXCP_EXCEPTION_EXIT \
            else f"exception {intno}"
        uc.emu_stop()

    def _check_power(self, uc) -> None:
        if self.state is State.OFF or self.state is State.RESET:
            uc.emu_stop()

    # -- execution ----------------------------------------------------------------------------------------------------
    def _execute(self, count: int) -> None:
        """Run up to `count` instructions; faults enter HardFault (exceptions.py) and execution goes on in the
        handler, except in a single step, which halts on the handler's first instruction (ARMv7-M ARM C1.5)."""
        for _ in range(MAX_RESTARTS):
            fault = self._execute_once(count)
            self.retired = True
            self.slices += 1
            if self.state is not State.EMULATING or fault is None:
                return
            if not fault() or count == 1:
                return

    def _execute_once(self, count: int):
        """One emu_start; returns what must happen next (a callable taking the fault or exception return) or None."""
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        if not self.tbit:  # EPSR.T clear: the first instruction faults with INVSTATE (ARMv7-M ARM A7.3.1)
            return lambda: exceptions.take_fault(self, exceptions.INVSTATE, pc)
        self._stop_reason = None
        self._running_uc = True
        error = None
        try:
            self.uc.emu_start(pc | 1, 0xFFFFFFFE, count=count)
        except UcError as exc:
            error = exc.errno
        finally:
            self._running_uc = False
            self._apply_fixups()
        if self.state in (State.OFF, State.RESET):
            return None
        here = self.uc.reg_read(A.UC_ARM_REG_PC)
        reason = self._stop_reason
        if reason == "bkpt":
            self._halt(DFSR_BKPT)
            return None
        if reason == "excret":
            return lambda: exceptions.exception_return(self, here | 1) or True
        if error in FETCH_ERRORS or reason == f"exception {EXCP_PREFETCH_ABORT}":
            return lambda: exceptions.take_fault(self, exceptions.instruction_fetch_fault(here), here)
        if error == UC_ERR_INSN_INVALID or reason == f"exception {EXCP_UDEF}":
            thumb = self.uc.reg_read(A.UC_ARM_REG_XPSR) >> 24 & 1
            return lambda: exceptions.take_fault(self, exceptions.UNDEFINSTR if thumb else exceptions.INVSTATE, here)
        if error is not None or reason is not None:  # a data access the bus refused: a precise BusFault
            return lambda: exceptions.take_fault(self, exceptions.PRECISERR, here)
        return None

    def lock_up(self, pc: int) -> bool:
        """Lockup (ARMv7-M ARM B1.5.15): the core stops executing; DHCSR.S_LOCKUP until a reset or a halt."""
        self.state = State.LOCKUP
        self.uc.reg_write(A.UC_ARM_REG_PC, pc & ~1)
        return False

    def _run_slice(self) -> None:
        self._execute(SLICE_INSTRUCTIONS)

    def _halt(self, cause: int) -> None:
        self.state = State.HALTED
        self.dfsr |= cause

    def resume(self) -> None:
        self._apply_fixups()
        self.uc.ctl_flush_tb()
        if self._executes_here():
            self.state = State.EMULATING
            self._run_slice()
        else:
            self.state = self.chip.running_state()
            self.chip.firmware_started()

    def _executes_here(self) -> bool:
        """Whether the bench executes the core's code from here on, rather than let the boot model say what the
        firmware does: code in RAM (the debugger's), an exception handler, a T bit clear, anything outside a
        runnable image's flash."""
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        ipsr = self.uc.reg_read(A.UC_ARM_REG_XPSR) & 0x1FF
        in_flash = FLASH_BASE <= pc < FLASH_BASE + FLASH_SIZE or pc < FLASH_SIZE
        if in_flash and ipsr == 3 and self.tbit and self.chip.firmware_crash() == "hardfault":
            return False  # resumed in its own HardFault handler, where a crashed firmware spins (firmware_run.py)
        return not in_flash or ipsr != 0 or not self.tbit or not self.chip.image_runnable()

    def step(self) -> None:
        self.uc.ctl_flush_tb()
        self.state = State.EMULATING
        self._execute(1)
        if self.state in (State.EMULATING, State.LOCKUP):
            self._halt(DFSR_HALTED)  # a step always ends halted, on the handler's first instruction if it faulted

    # -- reset and power ------------------------------------------------------------------------------------------------
    def load_reset_registers(self) -> None:
        """Registers as the core leaves reset: SP and PC from the vector table at the boot alias (address 0)."""
        sp, pc = struct.unpack_from("<II", self.chip.boot_memory(), 0)
        for i in range(13):
            self.uc.reg_write(REGS[i], 0)
        self.uc.reg_write(A.UC_ARM_REG_MSP, sp & ~3)
        self.uc.reg_write(A.UC_ARM_REG_PSP, 0)
        self.uc.reg_write(A.UC_ARM_REG_LR, 0xFFFFFFFF)
        self.uc.reg_write(A.UC_ARM_REG_PC, pc & ~1)
        self.uc.reg_write(A.UC_ARM_REG_XPSR, 0x01000000 if pc & 1 else 0)
        self.tbit = pc & 1  # EPSR.T from bit 0 of the reset vector (ARMv7-M ARM B1.5.5 TakeReset)
        for reg, _ in CFBP_PARTS:
            self.uc.reg_write(reg, 0)
        self.reset_sticky = True

    def hold_in_reset(self) -> None:
        self.state = State.RESET
        if self._running_uc:
            self.uc.emu_stop()

    def leave_reset(self) -> None:
        """Out of reset: halt on the reset vector when caught, else the firmware runs."""
        self.load_reset_registers()
        if self.debugen and (self.demcr & DEMCR_VC_CORERESET or self.halt_requested):
            self.halt_requested = False
            self._halt(DFSR_VCATCH if self.demcr & DEMCR_VC_CORERESET else DFSR_HALTED)
        elif self.chip.image_runnable():
            self.state = self.chip.running_state()
            self.chip.firmware_started()
        else:  # no runnable image: the core executes what is there, and faults as the architecture says
            self.state = State.EMULATING
            self.chip.firmware_started()
            self._run_slice()

    def power_off(self) -> None:
        self.state = State.OFF
        if self._running_uc:
            self.uc.emu_stop()

    def power_on_reset(self) -> None:
        """Power-on reset also clears the debug logic (DHCSR, DEMCR, DFSR)."""
        self.debugen = self.maskints = self.halt_requested = False
        self.demcr = self.dfsr = 0

    # -- what a powered chip keeps (chip_state.py) ---------------------------------------------------------------------
    PERSISTENT = ("tbit", "debugen", "maskints", "halt_requested", "reset_sticky", "demcr", "dfsr", "dcrdr")
    SAVED_REGS = (*range(19), 33, CFBP, *range(64, 96))

    def persistent_state(self) -> dict:
        regs = {str(r): self.read_raw_register(r) for r in self.SAVED_REGS}
        return {"state": self.state.value, "regs": regs, **{k: getattr(self, k) for k in self.PERSISTENT}}

    def restore_state(self, saved: dict) -> None:
        for key in self.PERSISTENT:
            setattr(self, key, type(getattr(self, key))(saved[key]))
        for regsel, value in saved["regs"].items():
            self.write_register(int(regsel), int(value))
        self.state = State(saved["state"])

    # -- debug registers ------------------------------------------------------------------------------------------------
    def read_debug_reg(self, addr: int) -> int:
        if addr == P.DHCSR:
            return self._read_dhcsr()
        if addr == P.DCRDR:
            return self.dcrdr
        if addr == P.DEMCR:
            return self.demcr
        if addr == P.DFSR:
            return self.dfsr
        if addr == P.AIRCR:
            return 0xFA050000
        return 0  # DCRSR is write-only

    def _read_dhcsr(self) -> int:
        if self.state is State.EMULATING:
            self._run_slice()
        if self.state is State.HALTED:
            self.chip.clock.timeline.sync()  # the flash algorithm halts only after the flash finished
        value = S_REGRDY
        if self.debugen:
            value |= C_DEBUGEN
        if self.maskints:
            value |= C_MASKINTS
        if self.state is State.HALTED:
            value |= S_HALT | C_HALT
        if self.state is State.LOCKUP:
            value |= S_LOCKUP
        if self.reset_sticky or self.state is State.RESET:
            value |= S_RESET_ST
        if self.retired or self.state in (State.FIRMWARE, State.EMULATING):
            value |= S_RETIRE_ST
        if self.state is not State.RESET:
            self.reset_sticky = False
        self.retired = False
        return value

    def write_debug_reg(self, addr: int, value: int) -> None:
        if addr == P.DHCSR:
            self._write_dhcsr(value)
        elif addr == P.DCRSR:
            self._write_dcrsr(value)
        elif addr == P.DCRDR:
            self.dcrdr = value & 0xFFFFFFFF
        elif addr == P.DEMCR:
            self.demcr = value & DEMCR_MASK
        elif addr == P.DFSR:
            self.dfsr &= ~value
        elif addr == P.AIRCR and (value >> 16) == AIRCR_VECTKEY:
            if value & AIRCR_SYSRESETREQ:
                self.chip.system_reset()
            elif value & AIRCR_VECTRESET:
                self.leave_reset()

    def _write_dhcsr(self, value: int) -> None:
        if (value >> 16) != DBGKEY:
            return
        self.debugen = bool(value & C_DEBUGEN)
        self.maskints = bool(value & C_MASKINTS)
        if self.state is State.RESET:
            self.halt_requested = bool(value & C_HALT) and self.debugen
            return
        if not self.debugen:
            if self.state is State.HALTED:
                self.resume()
            return
        if value & C_HALT:
            if self.state is State.FIRMWARE:  # the firmware is not executed: a halt finds it where it would be
                firmware_run.halt_in_firmware(self, self.chip.firmware_crash())
            if self.state is not State.HALTED:
                self._halt(DFSR_HALTED)
        elif self.state is State.HALTED:
            self.step() if value & C_STEP else self.resume()

    def _write_dcrsr(self, value: int) -> None:
        if self.state is not State.HALTED:
            return  # register transfers need a halted core
        regsel = value & 0x7F
        if value & (1 << 16):
            self.write_register(regsel, self.dcrdr)
        else:
            self.dcrdr = self.read_register(regsel)

    def read_raw_register(self, regsel: int) -> int:
        """A register as Unicorn holds it (xPSR without the Thumb bit Unicorn keeps apart)."""
        if regsel == CFBP:
            return self.read_register(CFBP)
        return self.uc.reg_read(REGS[regsel]) & 0xFFFFFFFF

    def read_register(self, regsel: int) -> int:
        if regsel == CFBP:
            return sum((self.uc.reg_read(reg) & 0xFF) << shift for reg, shift in CFBP_PARTS)
        if regsel not in REGS:
            return 0
        value = self.uc.reg_read(REGS[regsel]) & 0xFFFFFFFF
        if regsel == 16:
            value = value & ~(1 << 24) | (self.tbit << 24)  # EPSR.T as the core holds it, never forced
        return value

    def write_register(self, regsel: int, value: int) -> None:
        if regsel == CFBP:
            for reg, shift in CFBP_PARTS:
                self.uc.reg_write(reg, (value >> shift) & 0xFF)
        elif regsel == 15:
            self.uc.reg_write(A.UC_ARM_REG_PC, value & ~1)
        elif regsel == 16:
            self.tbit = value >> 24 & 1
            self.uc.reg_write(A.UC_ARM_REG_XPSR, value & 0xFFFFFFFF)
        elif regsel in REGS:
            self.uc.reg_write(REGS[regsel], value & 0xFFFFFFFF)
