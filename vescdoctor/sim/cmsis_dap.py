"""A CMSIS-DAP v2 probe (DAPLink firmware) as pyOCD's real `DAPAccessCMSISDAP` drives it over USB bulk endpoints.

Each command is one packet on the OUT endpoint; its response is one packet on the IN endpoint, queued in order, so
the host may have up to `PACKET_COUNT` commands in flight (pyOCD does, with deferred transfers). pyOCD's `PyUSBv2`
reads the IN endpoint from a background thread: `bulk_in_wait` blocks until a response is queued or the timeout
passes. Commands run in the writer's thread, under one lock.

The probe does what the CMSIS-DAP reference firmware (DAP.c, SW_DP.c) does, over the same SW-DP / AHB-AP model the
ST-Link emulator uses:
- DAP_Connect only configures the probe's pins: it succeeds whatever the target does. The target shows itself in
  DAP_Transfer: no ACK (all lines high, ACK 0b111) when the chip does not answer (power, wiring, RDP 2, SWD pins
  taken by the firmware), FAULT when an AP access faults on the bus (and, as the sticky error stays set, every AP
  access after it until DAP_WriteABORT / an ABORT write clears STICKYERR), WAIT after `wait_retry` retries when the
  AHB-AP is busy (`stall_transfers`, a knob for tests: the modelled chip is never busy itself).
- AP reads return their data at once (the probe reads RDBUFF after a posted read); value-match reads retry up to
  `match_retry` times and answer with the mismatch bit.
- A transfer garbled on the wire (the injected `swd_error_rate`) answers DAP_TRANSFER_ERROR (bit 3, ACK bits 0), as
  SW_DP.c does for a parity error, and does not happen; pyOCD reports it as a TransferError.
- There is no target-voltage command in CMSIS-DAP: pyOCD cannot tell an unpowered target from a silent one.
- DAP_SWJ_Pins drives nRESET (reaching the chip only when board.config.nrst_wired) and reads the pins back.
- When the probe-unplug fault fires during a command, that command's OUT transfer fails (libusb: no device) and a
  pending IN read fails too; pyOCD then raises usb.core.USBError (its CMSIS-DAP transport does not convert it) or,
  on a later read, a ProbeError.
"""
from __future__ import annotations

import struct
import threading
import time
from collections import Counter, deque

from .chip import BusAccessError, Chip
from .dap import STICKYCMP, STICKYERR, STICKYORUN, WDATAERR, Dap
from .linktime import LinkTimer
from .stlink import ProbeGone

# Commands (CMSIS-DAP spec; pyocd/probe/pydapaccess/cmsis_dap_core.py Command)
DAP_INFO, DAP_HOST_STATUS, DAP_CONNECT, DAP_DISCONNECT = 0x00, 0x01, 0x02, 0x03
DAP_TRANSFER_CONFIGURE, DAP_TRANSFER, DAP_TRANSFER_BLOCK, DAP_TRANSFER_ABORT = 0x04, 0x05, 0x06, 0x07
DAP_WRITE_ABORT, DAP_DELAY, DAP_RESET_TARGET = 0x08, 0x09, 0x0A
DAP_SWJ_PINS, DAP_SWJ_CLOCK, DAP_SWJ_SEQUENCE, DAP_SWD_CONFIGURE = 0x10, 0x11, 0x12, 0x13
DAP_EXECUTE_COMMANDS, ID_DAP_INVALID = 0x7F, 0xFF
DAP_OK, DAP_ERROR = 0x00, 0xFF

# DAP_Info IDs
INFO_VENDOR, INFO_PRODUCT, INFO_SER_NUM, INFO_PROTOCOL_VERSION = 0x01, 0x02, 0x03, 0x04
INFO_PRODUCT_FW_VERSION = 0x09
INFO_CAPABILITIES, INFO_TEST_DOMAIN_TIMER = 0xF0, 0xF1
INFO_UART_RX_SIZE, INFO_UART_TX_SIZE, INFO_SWO_BUFFER_SIZE = 0xFB, 0xFC, 0xFD
INFO_PACKET_COUNT, INFO_PACKET_SIZE = 0xFE, 0xFF
CAP_SWD = 0x01

# Ports
PORT_DISABLED, PORT_SWD, PORT_JTAG = 0, 1, 2

# Transfer request bits and response values
REQ_APNDP, REQ_RNW, REQ_A32, REQ_VALUE_MATCH, REQ_MATCH_MASK, REQ_TIMESTAMP = 0x01, 0x02, 0x0C, 0x10, 0x20, 0x80
ACK_OK, ACK_WAIT, ACK_FAULT, ACK_NONE = 0x01, 0x02, 0x04, 0x07
TRANSFER_ERROR, TRANSFER_MISMATCH = 0x08, 0x10

# DAP_SWJ_Pins bits
PIN_SWCLK, PIN_SWDIO, PIN_TDI, PIN_TDO, PIN_NTRST, PIN_NRESET = 0x01, 0x02, 0x04, 0x08, 0x20, 0x80

LINE_RESET_BITS = 50  # SWDIO high for at least 50 clocks: SWD line reset
POLL_S = 0.02  # how often a blocked IN read looks whether the probe is still there


class CmsisDapEmulator:
    VENDOR = "ARM"
    PRODUCT = "DAPLink CMSIS-DAP"
    PROTOCOL_VERSION = "2.1.0"
    FIRMWARE_VERSION = "0257"
    PACKET_SIZE = 64  # full-speed bulk endpoints, as DAPLink on an interface chip
    PACKET_COUNT = 4

    def __init__(self, chip: Chip, serial: str):
        self.chip = chip
        self.serial = serial
        self.dap = Dap(chip)
        self.link = LinkTimer("cmsis-dap", chip.clock.timeline, 1_000_000)
        self.commands: Counter[str] = Counter()
        self.stall_transfers = 0  # the AHB-AP answers WAIT to this many AP transfer attempts (tests)
        self._cond = threading.Condition(threading.Lock())
        self._responses: deque[bytes] = deque()
        self._reset_probe_state()

    def _reset_probe_state(self) -> None:
        self.port = PORT_DISABLED
        self.clock_hz = 1_000_000
        self.idle_cycles, self.wait_retry, self.match_retry = 0, 100, 0
        self.match_mask = 0
        self.pins = PIN_SWCLK | PIN_SWDIO | PIN_TDI | PIN_TDO | PIN_NTRST | PIN_NRESET  # outputs released high

    @property
    def present(self) -> bool:
        return not self.chip.probe_unplugged

    # -- USB bulk transport --------------------------------------------------------------------------------------
    def bulk_out(self, endpoint: int, data: bytes) -> int:
        if not self.present:
            raise ProbeGone()
        if not data:
            return 0  # zero-length packet ending a transfer
        with self._cond:
            self.link.usb_out(len(data))
            response = self.execute(bytes(data))
            if not self.present:  # unplugged by this command (injected fault): no answer, the transfer fails
                self._cond.notify_all()
                raise ProbeGone()
            self._responses.append(response[:self.PACKET_SIZE])
            self._cond.notify_all()
        return len(data)

    def bulk_in(self, endpoint: int, size: int) -> bytes:
        """A response if one is queued, else b"" (the backend reports a timeout)."""
        return self.bulk_in_wait(endpoint, size, None)

    def bulk_in_wait(self, endpoint: int, size: int, timeout_ms: int | None) -> bytes:
        """Wait up to `timeout_ms` (0: forever, None: not at all) for the next response; b"" on timeout.

        Raises ProbeGone when the probe is unplugged meanwhile, as libusb fails a pending read of a vanished device.
        """
        deadline = None if not timeout_ms else time.monotonic() + timeout_ms / 1000
        with self._cond:
            while True:
                if not self.present:
                    raise ProbeGone()
                if self._responses:
                    response = self._responses.popleft()[:size]
                    self.link.usb_in(len(response))
                    return response
                if timeout_ms is None:
                    return b""
                left = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
                if left <= 0:
                    return b""
                self._cond.wait(left)

    # -- commands ------------------------------------------------------------------------------------------------
    def execute(self, packet: bytes) -> bytes:
        response, _ = self._command(packet, 0)
        return response

    def _command(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        """Run the command at cmd[pos]; returns its response and the position after it."""
        op = cmd[pos]
        handler = self._HANDLERS.get(op)
        if handler is None:
            self.commands["invalid"] += 1
            return bytes([ID_DAP_INVALID]), len(cmd)  # the rest of the packet cannot be parsed
        try:
            return handler(self, cmd, pos + 1)
        except (IndexError, struct.error):  # a short packet: the firmware answers with what it read
            return bytes([op, DAP_ERROR]), len(cmd)

    def _info(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        self.commands["info"] += 1
        item = cmd[pos]
        strings = {INFO_VENDOR: self.VENDOR, INFO_PRODUCT: self.PRODUCT, INFO_SER_NUM: self.serial,
                   INFO_PROTOCOL_VERSION: self.PROTOCOL_VERSION, INFO_PRODUCT_FW_VERSION: self.FIRMWARE_VERSION}
        if item in strings:
            value = strings[item].encode() + b"\0"
        elif item == INFO_CAPABILITIES:
            value = bytes([CAP_SWD])
        elif item == INFO_PACKET_COUNT:
            value = bytes([self.PACKET_COUNT])
        elif item == INFO_PACKET_SIZE:
            value = struct.pack("<H", self.PACKET_SIZE)
        elif item in (INFO_TEST_DOMAIN_TIMER, INFO_UART_RX_SIZE, INFO_UART_TX_SIZE, INFO_SWO_BUFFER_SIZE):
            value = struct.pack("<I", 0)
        else:
            value = b""  # device/board vendor and name: a standalone probe knows no target
        return bytes([DAP_INFO, len(value)]) + value, pos + 1

    def _host_status(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        return bytes([DAP_HOST_STATUS, DAP_OK]), pos + 2

    def _connect(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        self.commands["connect"] += 1
        port = cmd[pos]
        self.port = PORT_SWD if port in (0, PORT_SWD) else PORT_DISABLED  # no JTAG on this probe
        return bytes([DAP_CONNECT, self.port]), pos + 1

    def _disconnect(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        self.port = PORT_DISABLED
        return bytes([DAP_DISCONNECT, DAP_OK]), pos

    def _transfer_configure(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        self.idle_cycles = cmd[pos]
        self.wait_retry, self.match_retry = struct.unpack_from("<HH", cmd, pos + 1)
        return bytes([DAP_TRANSFER_CONFIGURE, DAP_OK]), pos + 5

    def _write_abort(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        value = struct.unpack_from("<I", cmd, pos + 1)[0]
        if self.port != PORT_SWD:
            return bytes([DAP_WRITE_ABORT, DAP_ERROR]), pos + 5
        if self.chip.swd_answers():
            self.dap.write_dp(0x0, value)
        return bytes([DAP_WRITE_ABORT, DAP_OK]), pos + 5  # DAP.c answers OK whatever the ACK was

    def _delay(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        return bytes([DAP_DELAY, DAP_OK]), pos + 2  # microseconds on a simulated bench: nothing to wait for

    def _reset_target(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        return bytes([DAP_RESET_TARGET, DAP_OK, 0]), pos  # execute = 0: no device-specific reset sequence

    def _swj_pins(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        self.commands["pins"] += 1
        output, select = cmd[pos], cmd[pos + 1]
        self.pins = (self.pins & ~select) | (output & select)
        if select & PIN_NRESET:
            self.chip.drive_nrst(not output & PIN_NRESET)
        # The probe reads its own pins: nRESET is low while the probe drives it low (open drain, pulled up else).
        return bytes([DAP_SWJ_PINS, self.pins]), pos + 6

    def _swj_clock(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        clock = struct.unpack_from("<I", cmd, pos)[0]
        if clock:
            self.clock_hz = self.link.swd_hz = clock
        return bytes([DAP_SWJ_CLOCK, DAP_OK if clock else DAP_ERROR]), pos + 4

    def _swj_sequence(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        count = cmd[pos] or 256
        self.link.swd(0, extra_bits=count)
        nbytes = (count + 7) // 8
        bits = int.from_bytes(cmd[pos + 1:pos + 1 + nbytes], "little")
        run = longest = 0
        for i in range(count):
            run = run + 1 if bits >> i & 1 else 0
            longest = max(longest, run)
        if longest >= LINE_RESET_BITS and self.port == PORT_SWD and self.chip.swd_answers():
            self.dap.line_reset()
        self.pins = (self.pins & ~PIN_SWDIO) | (PIN_SWDIO if bits >> (count - 1) & 1 else 0)
        return bytes([DAP_SWJ_SEQUENCE, DAP_OK]), pos + 1 + nbytes

    def _swd_configure(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        return bytes([DAP_SWD_CONFIGURE, DAP_OK]), pos + 1

    def _execute_commands(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        count = cmd[pos]
        pos += 1
        out = bytearray([DAP_EXECUTE_COMMANDS, count])
        for _ in range(count):
            response, pos = self._command(cmd, pos)
            out += response
        return bytes(out), pos

    # -- transfers -----------------------------------------------------------------------------------------------
    def _transfer(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        self.commands["transfer"] += 1
        count = cmd[pos + 1]  # cmd[pos] is the DAP index: one DAP on this probe
        pos += 2
        data = bytearray()
        done, status = 0, ACK_OK
        for _ in range(count):
            request = cmd[pos]
            pos += 1
            value = None
            if not request & REQ_RNW or request & REQ_VALUE_MATCH:
                value = struct.unpack_from("<I", cmd, pos)[0]
                pos += 4
            if status != ACK_OK:
                continue  # after an error the rest of the request is skipped
            if request & REQ_MATCH_MASK and not request & REQ_RNW:
                self.match_mask = value
                done += 1
                continue
            if request & REQ_RNW and request & REQ_VALUE_MATCH:
                status = self._match_read(request, value)
            elif request & REQ_RNW:
                status, word = self._access(request, None)
                if status == ACK_OK:
                    data += struct.pack("<I", word)
            else:
                status, _ = self._access(request, value)
            if status == ACK_OK:
                done += 1
        return bytes([DAP_TRANSFER, done, status]) + bytes(data), pos

    def _match_read(self, request: int, match: int) -> int:
        for _ in range(self.match_retry + 1):
            status, word = self._access(request, None)
            if status != ACK_OK:
                return status
            if word & self.match_mask == match & self.match_mask:
                return ACK_OK
        return ACK_OK | TRANSFER_MISMATCH

    def _transfer_block(self, cmd: bytes, pos: int) -> tuple[bytes, int]:
        self.commands["transfer_block"] += 1
        count, request = struct.unpack_from("<HB", cmd, pos + 1)
        request &= ~(REQ_VALUE_MATCH | REQ_MATCH_MASK)  # not allowed in a block transfer
        pos += 4
        reads = bool(request & REQ_RNW)
        end = pos if reads else pos + 4 * count
        payload = b"" if reads else cmd[pos:end]
        fast = self._drw_stream(reads, count, payload) if request & (REQ_APNDP | REQ_A32) == REQ_APNDP | 0xC \
            else None
        if fast is not None:
            status, done, data = fast
        else:
            data = bytearray()
            done, status = 0, ACK_OK
            for i in range(count):
                if reads:
                    status, word = self._access(request, None)
                    if status != ACK_OK:
                        break
                    data += struct.pack("<I", word)
                else:
                    status, _ = self._access(request, struct.unpack_from("<I", payload, 4 * i)[0])
                    if status != ACK_OK:
                        break
                done += 1
        return struct.pack("<BHB", DAP_TRANSFER_BLOCK, done, status) + bytes(data), end

    def _drw_stream(self, reads: bool, count: int, payload: bytes) -> tuple[int, int, bytes] | None:
        """A block of word DRW transfers with TAR incrementing, done as whole memory accesses (what `_access` does
        word by word, with the same result). None where the word-by-word path must run (other CSW sizes, another
        AP or bank, an error flag, injected wire errors, a stall, a silent chip)."""
        dap, chip = self.dap, self.chip
        if self.port != PORT_SWD or dap.select & 0xFF0000F0 or dap.csw & 0x37 != 0x12 or dap.tar & 3 \
                or self.stall_transfers or chip.board.config.faults.get("swd_error_rate") \
                or chip.faults.clock_too_fast(self.link.swd_hz) \
                or dap.ctrl_stat & (STICKYERR | STICKYCMP | STICKYORUN | WDATAERR) or not chip.swd_answers():
            return None
        self.link.memory(4 * count, 4, write=not reads)
        data = bytearray()
        done = 0
        while done < count:
            tar = dap.tar
            n = min(count - done, (0x1000 - (tar & 0xFFF)) // 4)
            try:
                if reads:
                    data += chip.debug_read(tar, 4 * n, 4)
                else:
                    chip.debug_write(tar, payload[4 * done:4 * (done + n)], 4)
            except BusAccessError as exc:
                ok = (exc.addr - tar) // 4
                if reads and ok:
                    data += chip.debug_read(tar, 4 * ok, 4)
                dap.tar = (tar & ~0xFFF) | ((tar + 4 * ok) & 0xFFF)
                dap.sticky_error()
                return ACK_FAULT, done + ok, bytes(data)
            done += n
            dap.tar = (tar & ~0xFFF) | ((tar + 4 * n) & 0xFFF)
        if reads and data:
            dap.rdbuff = int.from_bytes(data[-4:], "little")
        return ACK_OK, done, bytes(data)

    def _access(self, request: int, value: int | None) -> tuple[int, int]:
        """One SWD transfer: (ACK or DAP_TRANSFER_ERROR, data read)."""
        if self.port != PORT_SWD:
            return 0, 0  # DAP_Dummy_Transfer: nothing happened on the wire
        self.link.swd(1, extra_bits=self.idle_cycles)
        if request & (REQ_APNDP | REQ_A32) == REQ_APNDP | 0xC:  # DRW: a memory word
            self.link.count_memory(4, write=value is not None)
        chip = self.chip
        if not chip.swd_answers():
            return ACK_NONE, 0
        if chip.faults.swd_transfer_fails(self.link.swd_hz):
            return TRANSFER_ERROR, 0  # garbled on the wire: the probe reports an error, the access did not happen
        addr = request & REQ_A32
        dap = self.dap
        try:
            if not request & REQ_APNDP:
                if value is None:
                    return ACK_OK, dap.read_dp(addr)
                dap.write_dp(addr, value)
                return ACK_OK, 0
            if dap.ctrl_stat & (STICKYERR | STICKYCMP | STICKYORUN | WDATAERR):
                return ACK_FAULT, 0  # a sticky flag refuses every AP access until ABORT clears it
            for _ in range(self.wait_retry + 1):
                if self.stall_transfers <= 0:
                    break
                self.stall_transfers -= 1
            else:
                return ACK_WAIT, 0  # still busy after wait_retry retries
            apsel, bank = dap.select >> 24, dap.select & 0xF0
            if value is None:
                return ACK_OK, dap.read_ap(apsel, bank | addr)
            dap.write_ap(apsel, bank | addr, value)
            return ACK_OK, 0
        except BusAccessError:
            dap.sticky_error()
            return ACK_FAULT, 0

    _HANDLERS = {
        DAP_INFO: _info, DAP_HOST_STATUS: _host_status, DAP_CONNECT: _connect, DAP_DISCONNECT: _disconnect,
        DAP_TRANSFER_CONFIGURE: _transfer_configure, DAP_TRANSFER: _transfer, DAP_TRANSFER_BLOCK: _transfer_block,
        DAP_WRITE_ABORT: _write_abort, DAP_DELAY: _delay, DAP_RESET_TARGET: _reset_target, DAP_SWJ_PINS: _swj_pins,
        DAP_SWJ_CLOCK: _swj_clock, DAP_SWJ_SEQUENCE: _swj_sequence, DAP_SWD_CONFIGURE: _swd_configure,
        DAP_EXECUTE_COMMANDS: _execute_commands,
    }
