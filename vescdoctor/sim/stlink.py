"""An ST-Link (V2, V2-1, V3) as pyOCD's real `pyocd.probe.stlink.stlink.STLink` drives it over USB bulk endpoints.

Each exchange is a 16-byte command on the OUT endpoint, an optional data-out phase (WRITEMEM), and an optional
reply read from the IN endpoint. Firmware versions are recent enough (V2J46, V3J13) for pyOCD to use its full
feature set: banked DP registers, CSW on memory commands, board-ID query, 16-bit transfers. Status codes are those of
pyocd/probe/stlink/constants.py; a target that does not acknowledge answers ENTER with "Get IDCODE error" and
transfers with "DP error", a bus fault answers with "AP fault" and its address, as the real probe does.
"""
from __future__ import annotations

import errno
import re
import struct
from collections import Counter
from dataclasses import dataclass, replace

import usb.core

from .chip import BusAccessError, Chip
from .dap import Dap
from .linktime import LinkTimer

# Commands (pyocd/probe/stlink/constants.py)
GET_VERSION, JTAG_COMMAND, DFU_COMMAND, SWIM_COMMAND = 0xF1, 0xF2, 0xF3, 0xF4
GET_CURRENT_MODE, GET_TARGET_VOLTAGE, GET_VERSION_EXT = 0xF5, 0xF7, 0xFB
MODE_DFU, MODE_MASS, MODE_DEBUG = 0x00, 0x01, 0x02
READMEM_32, WRITEMEM_32, READMEM_8, WRITEMEM_8 = 0x07, 0x08, 0x0C, 0x0D
READMEM_16, WRITEMEM_16 = 0x47, 0x48
JTAG_EXIT, JTAG_ENTER2, GETLASTRWSTATUS2, DRIVE_NRST = 0x21, 0x30, 0x3E, 0x3C
SWV_START, SWV_STOP, SWV_NB = 0x40, 0x41, 0x42
SWD_SET_FREQ, JTAG_SET_FREQ, READ_DAP_REG, WRITE_DAP_REG = 0x43, 0x44, 0x45, 0x46
INIT_AP, CLOSE_AP_DBG, GET_BOARD_IDS = 0x4B, 0x4C, 0x56
SET_COM_FREQ, GET_COM_FREQ, SWITCH_STLINK_FREQ = 0x61, 0x62, 0x63
DP_PORT = 0xFFFF

# Status codes
OK = 0x80
GET_IDCODE_ERROR = 0x09
SWD_AP_FAULT, SWD_AP_PARITY_ERROR = 0x11, 0x13
SWD_DP_ERROR, SWD_DP_PARITY_ERROR = 0x16, 0x17
BAD_AP, UNKNOWN_CMD = 0x1D, 0x42

# SWD_SET_FREQ delay count -> SWD clock of an ST-Link/V2 (pyocd/probe/stlink/constants.py SWD_FREQ_MAP)
V2_SWD_HZ = {0: 4_600_000, 1: 1_800_000, 2: 1_200_000, 3: 950_000, 5: 650_000, 7: 480_000, 9: 400_000,
             10: 360_000, 15: 240_000, 25: 150_000, 31: 125_000, 40: 100_000}
V3_SWD_KHZ = (24000, 8000, 3300, 1000, 200, 50, 5)  # STLINK-V3 SWD clocks (GET_COM_FREQ)
DEFAULT_SWD_HZ = 1_800_000  # the ST-Link firmware's own default until the host sets one

MEM_SIZES = {READMEM_32: 4, WRITEMEM_32: 4, READMEM_16: 2, WRITEMEM_16: 2, READMEM_8: 1, WRITEMEM_8: 1}
ADC_REF = 1638  # GET_TARGET_VOLTAGE: volts = 2 * a1 * 1.2 / a0


@dataclass(frozen=True)
class StlinkModel:
    name: str
    pid: int
    hw: int
    jtag: int
    swim_or_msc: int
    product: str
    max_packet: int
    endpoints: tuple[int, int, int]  # OUT, IN, SWV (pyocd/probe/stlink/usb.py USB_PID_EP_MAP)


MODELS = {
    "stlink-v2": StlinkModel("ST-Link/V2", 0x3748, 2, 46, 7, "STM32 STLink", 64, (0x02, 0x81, 0x83)),
    "stlink-v2-1": StlinkModel("ST-Link/V2-1", 0x374B, 2, 46, 32, "STM32 STLink", 64, (0x01, 0x81, 0x82)),
    "stlink-v3": StlinkModel("STLINK-V3", 0x374E, 3, 13, 8, "STLINK-V3", 512, (0x01, 0x81, 0x82)),
}


def with_firmware(model: StlinkModel, version: str | None) -> StlinkModel:
    """The model as its firmware version string says (VxJyySz / VxJyyMz: hardware, JTAG/SWD API, SWIM or MSC
    version, as GET_VERSION reports them); pyOCD refuses a V2 below J24 (pyocd/probe/stlink/stlink.py)."""
    if version is None:
        return model
    match = re.match(r"V(\d)J(\d+)(?:[SMBP](\d+))?", version)
    hw, jtag, other = int(match[1]), int(match[2]), int(match[3] or 0)
    return replace(model, hw=hw, jtag=jtag, swim_or_msc=other)


class ProbeGone(usb.core.USBError):
    """The probe was unplugged (injected fault): every transfer fails like a vanished USB device, with the error
    pyusb raises for one (libusb's LIBUSB_ERROR_NO_DEVICE, errno ENODEV)."""

    def __init__(self) -> None:
        super().__init__("No such device (it may have been disconnected)", errno=errno.ENODEV)


class StlinkEmulator:
    def __init__(self, chip: Chip, model: str):
        self.chip = chip
        self.model = with_firmware(MODELS[model], chip.board.config.probe_firmware)
        self.link = LinkTimer(model, chip.clock.timeline, DEFAULT_SWD_HZ)
        self.dap = Dap(chip)
        self.mode = MODE_MASS
        self.commands: Counter[str] = Counter()
        self._reply = bytearray()
        self._pending_write: tuple[int, int, int, int] | None = None  # cmd, addr, length, apsel
        self._write_buf = bytearray()
        self._last_status = (OK, 0)

    @property
    def present(self) -> bool:
        return not self.chip.probe_unplugged

    # -- USB bulk transport --------------------------------------------------------------------------------------
    def bulk_out(self, endpoint: int, data: bytes) -> int:
        if not self.present:
            raise ProbeGone()
        self.link.usb_out(len(data))
        if self._pending_write is not None:
            self._write_buf += data
            cmd, addr, length, apsel = self._pending_write
            if len(self._write_buf) >= length:
                self._pending_write = None
                self._write_mem(cmd, addr, bytes(self._write_buf[:length]))
            return len(data)
        self._command(bytes(data[:16]))
        return len(data)

    def bulk_in(self, endpoint: int, size: int) -> bytes:
        if not self.present:
            raise ProbeGone()
        out = bytes(self._reply[:size])
        del self._reply[:size]
        self.link.usb_in(len(out))
        return out

    # -- commands ------------------------------------------------------------------------------------------------
    def _reply_status(self, status: int, extra: bytes = b"") -> None:
        self._reply += struct.pack("<H", status) + extra

    def _command(self, cmd: bytes) -> None:
        self._reply.clear()
        op = cmd[0]
        if op == GET_VERSION:
            self.commands["version"] += 1
            m = self.model
            ver = (m.hw << 12) | ((m.jtag if m.hw < 3 else 0) << 6) | (m.swim_or_msc if m.hw < 3 else 0)
            self._reply += struct.pack(">H", ver) + struct.pack("<HH", 0x0483, m.pid)
        elif op == GET_VERSION_EXT:
            m = self.model
            self._reply += struct.pack("<6B2xHH", m.hw, 1, m.jtag, m.swim_or_msc, 5, 0, 0x0483, m.pid)
        elif op == GET_CURRENT_MODE:
            self._reply += bytes([self.mode, 0])
        elif op == GET_TARGET_VOLTAGE:
            self.commands["voltage"] += 1
            volts = 3.3 if self.chip.powered else 0.01
            self._reply += struct.pack("<II", ADC_REF, round(volts * ADC_REF / 2.4))
        elif op == DFU_COMMAND or op == SWIM_COMMAND:
            self.mode = MODE_MASS
        elif op == JTAG_COMMAND:
            self._jtag_command(cmd)
        else:
            self._reply_status(UNKNOWN_CMD)

    def _jtag_command(self, cmd: bytes) -> None:
        sub = cmd[1]
        chip = self.chip
        if sub in MEM_SIZES:
            addr, length, apsel = struct.unpack_from("<IHB", cmd, 2)
            if sub in (WRITEMEM_32, WRITEMEM_16, WRITEMEM_8):
                self._pending_write = (sub, addr, length, apsel)
                self._write_buf = bytearray()
                if length == 0:
                    self._pending_write = None
            else:
                self._read_mem(sub, addr, length)
        elif sub == GETLASTRWSTATUS2:
            status, fault_addr = self._last_status
            self._reply += struct.pack("<HHII", status, 0, fault_addr, 0)
        elif sub == READ_DAP_REG:
            port, addr = struct.unpack_from("<HH", cmd, 2)
            status, value = self._dap_access(port, addr, None)
            self._reply_status(status, struct.pack("<HI", 0, value))
        elif sub == WRITE_DAP_REG:
            port, addr, value = struct.unpack_from("<HHI", cmd, 2)
            status, _ = self._dap_access(port, addr, value)
            self._reply_status(status)
        elif sub == JTAG_ENTER2:
            self.commands["enter"] += 1
            if chip.swd_answers():
                self.dap.line_reset()
                self.mode = MODE_DEBUG
                self._reply_status(OK)
            else:
                self._reply_status(GET_IDCODE_ERROR)
        elif sub == JTAG_EXIT:
            self.mode = MODE_MASS
        elif sub == DRIVE_NRST:
            self.commands["nrst"] += 1
            if cmd[2] == 2:
                chip.drive_nrst(True)
                chip.drive_nrst(False)
            else:
                chip.drive_nrst(cmd[2] == 0)
            self._reply_status(OK)
        elif sub == SWD_SET_FREQ:
            self.link.swd_hz = V2_SWD_HZ.get(cmd[2], self.link.swd_hz)
            self._reply_status(OK)
        elif sub in (JTAG_SET_FREQ, CLOSE_AP_DBG, SWV_START, SWV_STOP):
            self._reply_status(OK)
        elif sub == INIT_AP:
            self._reply_status(OK if cmd[2] == 0 else BAD_AP)
        elif sub == SWV_NB:
            self._reply += struct.pack("<H", 0)
        elif sub == GET_BOARD_IDS:
            self._reply_status(OK, bytes(126))  # board ID 0000: not an Mbed board
        elif sub == SET_COM_FREQ:
            asked = struct.unpack_from("<I", cmd, 4)[0]
            khz = next((f for f in V3_SWD_KHZ if f <= asked), V3_SWD_KHZ[-1])  # the nearest clock not above
            self.link.swd_hz = khz * 1000
            self._reply_status(OK, struct.pack("<HI", 0, khz))
        elif sub == GET_COM_FREQ:
            freqs = list(V3_SWD_KHZ)
            body = struct.pack("<HII", 0, self.link.swd_hz // 1000, len(freqs))
            body += struct.pack(f"<{len(freqs)}I", *freqs)
            self._reply_status(OK, body.ljust(50, b"\0"))
        elif sub == SWITCH_STLINK_FREQ:
            self._reply_status(OK, bytes(6))
        else:
            self._reply_status(UNKNOWN_CMD)

    # -- target access -------------------------------------------------------------------------------------------
    def _link_ok(self) -> bool:
        return self.mode == MODE_DEBUG and self.chip.swd_answers()

    def _gate(self, parity_error: int = SWD_AP_PARITY_ERROR) -> int:
        """How a transfer ends before it reaches the chip: no answer on SWD, an injected parity error, or OK (go on)."""
        if not self._link_ok():
            return SWD_DP_ERROR
        if self.chip.faults.swd_transfer_fails(self.link.swd_hz):
            return parity_error
        return OK

    def _dap_access(self, port: int, addr: int, value: int | None) -> tuple[int, int]:
        self.commands["dap"] += 1
        self.link.swd(2 if value is None and port != DP_PORT else 1)  # an AP read is posted: RDBUFF fetches it
        status = self._gate(SWD_DP_PARITY_ERROR if port == DP_PORT else SWD_AP_PARITY_ERROR)
        if status != OK:
            return status, 0
        try:
            if port == DP_PORT:
                if value is None:
                    return OK, self.dap.read_dp(addr)
                self.dap.write_dp(addr, value)
            else:
                if value is None:
                    return OK, self.dap.read_ap(port, addr)
                self.dap.write_ap(port, addr, value)
        except BusAccessError:
            self.dap.sticky_error()
            return SWD_AP_FAULT, 0
        return OK, 0

    def _read_mem(self, sub: int, addr: int, length: int) -> None:
        self.commands["read"] += 1
        self.link.memory(length, MEM_SIZES[sub], write=False)
        status, fault_addr, data = self._gate(), 0, b""
        if status == OK:
            try:
                data = self.chip.debug_read(addr, length, MEM_SIZES[sub])
            except BusAccessError as exc:
                status, fault_addr = SWD_AP_FAULT, exc.addr
                data = self.chip.debug_read(addr, exc.addr - addr, 1) if exc.addr > addr else b""
                self.dap.sticky_error()
        self._reply += data.ljust(length, b"\0")
        self._last_status = (status, fault_addr)

    def _write_mem(self, sub: int, addr: int, data: bytes) -> None:
        self.commands["write"] += 1
        self.link.memory(len(data), MEM_SIZES[sub], write=True)
        status, fault_addr = self._gate(), 0
        if status == OK:
            try:
                self.chip.debug_write(addr, data, MEM_SIZES[sub])
            except BusAccessError as exc:
                status, fault_addr = SWD_AP_FAULT, exc.addr
                self.dap.sticky_error()
        self._last_status = (status, fault_addr)
