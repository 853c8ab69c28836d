"""The firmware's update path on the bench: COMM_ERASE_NEW_APP, COMM_WRITE_NEW_APP_DATA, COMM_ERASE_BOOTLOADER,
COMM_JUMP_TO_BOOTLOADER, and COMM_GET_MCCONF / COMM_GET_APPCONF, as bldc does them (docs/usb-repair.md has the
sources with branch and line). Every erase and write goes through the chip's FLASH controller the way the
firmware's flash_helper.c drives it (FLASH_Unlock, FLASH_EraseSector, FLASH_ProgramByte), so write protection,
stuck bits, the simulated clock and the power-loss fault apply; the bench saves flash.bin after each erase, the
bootloader's run and a fault (and, as always, on its last release).

- COMM_ERASE_NEW_APP (u32 size): erases sectors 8.. while 0x08080000 + size reaches into them
  (flash_helper_erase_new_app). Reply: [2, ok].
- COMM_WRITE_NEW_APP_DATA (u32 offset, data): programs data at 0x08080000 + offset, byte by byte; the offset is not
  bounded, so 0x60000 reaches sector 11 (flash_helper_write_new_app_data). Reply: [3, ok, u32 offset].
- COMM_ERASE_BOOTLOADER (FW >= 3.59): erases sector 11. Older firmware ignores the id (no reply).
- COMM_JUMP_TO_BOOTLOADER: USB goes away and the bootloader model (sim/bootloader_model.py) runs.
- The fault `usb_unplug_after_bytes` pulls the USB cable once that many bytes of update data have arrived: the
  write in hand is lost, every connection ends and the port is gone for this process (the next run plugs it back).
"""
from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

from ..knowledge.flash import BUFFER_BASE, BUFFER_SECTORS, SECTORS
from ..protocol.commands import Command
from ..target import flash_regs as F
from .bootloader_model import jump_to_bootloader

ERASE_BOOTLOADER_SINCE = (3, 59)  # vesc_tool vescinterface.cpp: setLimitedSupportsEraseBootloader(fw >= 3.59)
CONFIG_REPLY_BYTES = {Command.GET_MCCONF: 420, Command.GET_APPCONF: 260}  # stand-ins for the serialised confs


class FirmwareFlash:
    """The firmware's flash_helper.c over the simulated FLASH controller (ST's StdPeriph calls, register-level)."""

    def __init__(self, chip):
        self.chip = chip
        self.ctrl = chip.flash_ctrl

    def _unlock(self) -> None:
        if self.ctrl.cr & F.CR_LOCK:
            self.ctrl.write_reg(F.KEYR, F.KEY1)
            self.ctrl.write_reg(F.KEYR, F.KEY2)
        self.ctrl.write_reg(F.SR, F.SR_ERRORS | F.SR_EOP)  # FLASH_ClearFlag

    def _lock(self) -> None:
        self.ctrl.write_reg(F.CR, F.CR_LOCK)

    def _failed(self) -> bool:
        return bool(self.ctrl.sr & F.SR_ERRORS) or not self.chip.powered

    def erase_sector(self, number: int) -> bool:
        """FLASH_EraseSector: True when it completed."""
        self._unlock()
        cr = F.CR_SER | (number << F.CR_SNB_SHIFT) | F.PSIZE_X32
        self.ctrl.write_reg(F.CR, cr)
        self.ctrl.write_reg(F.CR, cr | F.CR_STRT)
        ok = not self._failed()
        self._lock()
        return ok

    def program(self, addr: int, data: bytes) -> bool:
        """write_data: FLASH_ProgramByte for each byte, stopping at the first error. On the bench aligned words go
        as one 32-bit program (the same bits cleared, a quarter of the controller calls) and words of all 0xFF,
        which clear no bit, are left out; the clock is charged as for the words written."""
        self._unlock()
        ok = True
        pos, end = 0, len(data)
        while pos < end and ok:
            here = addr + pos
            if here % 4 == 0 and end - pos >= 4:
                word = data[pos:pos + 4]
                if word != b"\xff\xff\xff\xff":
                    ok = self._program_one(here, 4, int.from_bytes(word, "little"))
                pos += 4
            else:
                ok = self._program_one(here, 1, data[pos])
                pos += 1
        self._lock()
        return ok

    def _program_one(self, addr: int, size: int, value: int) -> bool:
        self.ctrl.write_reg(F.CR, F.CR_PG | ({1: 0, 4: F.PSIZE_X32}[size]))
        self.ctrl.program(addr, size, value)
        return not self._failed()


def config_bytes(board, command: int) -> bytes:
    """A stand-in for the serialised mcconf/appconf: derived from the config sectors (1-2), so it changes when they
    do and is the same as long as they are untouched."""
    area = bytes(board.flash[SECTORS[1].address - SECTORS[0].address:SECTORS[3].address - SECTORS[0].address])
    out = b""
    seed = hashlib.sha256(bytes([command]) + area).digest()
    while len(out) < CONFIG_REPLY_BYTES[command]:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return out[:CONFIG_REPLY_BYTES[command]]


class UpdateHandlers:
    """The handlers one bench's port dispatches to (VescSerialPort.handlers): command id -> payload -> replies."""

    def __init__(self, bench, port):
        self.bench, self.port = bench, port
        self.flash = FirmwareFlash(bench.chip)
        self.bytes_received = 0

    def table(self) -> dict[int, Callable[[bytes], list[bytes]]]:
        return {Command.ERASE_NEW_APP: self.erase_new_app, Command.WRITE_NEW_APP_DATA: self.write_new_app_data,
                Command.ERASE_BOOTLOADER: self.erase_bootloader, Command.JUMP_TO_BOOTLOADER: self.jump,
                Command.GET_MCCONF: self.get_conf, Command.GET_APPCONF: self.get_conf}

    def _version(self) -> tuple[int, int] | None:
        ident = self.port.identity()
        return None if ident is None else (ident.fw_major, ident.fw_minor)

    def erase_new_app(self, payload: bytes) -> list[bytes]:
        if len(payload) < 5:
            return []
        end = BUFFER_BASE + struct.unpack_from(">I", payload, 1)[0]
        ok = True
        for number in BUFFER_SECTORS:
            if end <= SECTORS[number].address:
                break
            ok = self.flash.erase_sector(number)
            if not ok:
                break
        self.bench.save()
        return [bytes((Command.ERASE_NEW_APP, int(ok)))]

    def write_new_app_data(self, payload: bytes) -> list[bytes]:
        if len(payload) < 5:
            return []
        offset = struct.unpack_from(">I", payload, 1)[0]
        data = payload[5:]
        limit = self.bench.board.config.faults.get("usb_unplug_after_bytes")
        if limit is not None and self.bytes_received + len(data) > limit:
            self.bench.board.config.faults.pop("usb_unplug_after_bytes")
            self.bench.save()
            self.port.unplug()  # the cable is pulled as this packet arrives: it is lost with the line
            return []
        self.bytes_received += len(data)
        ok = self.flash.program(BUFFER_BASE + offset, data)  # saved with the bench (a save per chunk costs an fsync)
        return [bytes((Command.WRITE_NEW_APP_DATA, int(ok))) + struct.pack(">I", offset)]

    def erase_bootloader(self, payload: bytes) -> list[bytes]:
        version = self._version()
        if version is None or version < ERASE_BOOTLOADER_SINCE:
            return []  # not a command this firmware knows: commands.c has no case for it, nothing is sent
        ok = self.flash.erase_sector(11)
        self.bench.save()
        return [bytes((Command.ERASE_BOOTLOADER, int(ok)))]

    def get_conf(self, payload: bytes) -> list[bytes]:
        return [bytes((payload[0],)) + config_bytes(self.bench.board, payload[0])]

    def jump(self, payload: bytes) -> list[bytes]:
        self.port.go_offline()  # usbDisconnectBus: the host's port vanishes
        try:
            self.bench.attachments.setdefault("bootloader_runs", []).append(jump_to_bootloader(self.bench))
            self.bench.save()
        finally:
            self.port.come_back()
        return []


def install(bench, port) -> None:
    """Give the bench's port the update handlers (called by vesc_serial.serve_bench)."""
    port.handlers.update(UpdateHandlers(bench, port).table())
