"""Reading the F405's flash through pyOCD, for the flash map and for the fix's blank checks.

- Transient SWD transfer errors (a long or noisy wire) are retried a few times per chunk, as a careful tool does; a
  fault (RDP level 1 refuses the read) is not retried: it will not change.
- A sector's blank/used state can be asked of the chip itself: pyOCD's CRC analyzer runs on the core and returns a
  CRC, so a blank 128 KB sector costs a few bytes over SWD instead of 128 KB. That runs code on the chip, so it is
  allowed only where the caller says so (`may_run_code`): a chip the caller halted because nothing could run on it,
  or a chip the fix resets afterwards anyway. Otherwise the reader reads.
"""
from __future__ import annotations

import logging
from binascii import crc32

LOG = logging.getLogger(__name__)
READ_CHUNK = 0x4000
RETRIES = 3


class ChipReader:
    """A vescdoctor.flashmap reader over a pyOCD target; counts the bytes moved over SWD."""

    def __init__(self, target, *, may_run_code: bool = False):
        self.target = target
        self.may_run_code = may_run_code
        self.bytes_read = 0
        self.ran_code = False  # the analyzer ran: the core's registers and SRAM are not the firmware's any more
        self._analyzer_ok = True

    def read(self, addr: int, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            n = min(READ_CHUNK, size - len(out))
            out += self._read_chunk(addr + len(out), n)
        self.bytes_read += size
        return bytes(out)

    def _read_chunk(self, addr: int, size: int) -> bytes:
        from pyocd.core import exceptions

        for attempt in range(RETRIES + 1):
            try:
                return bytes(self.target.read_memory_block8(addr, size))
            except exceptions.TransferFaultError:
                raise  # a bus fault (read protection): retrying does not help
            except exceptions.TransferError as exc:
                if attempt == RETRIES:
                    raise
                LOG.debug("SWD read at 0x%08X failed (%s); retrying", addr, exc)
        raise AssertionError("unreachable")

    def is_blank(self, addr: int, size: int) -> bool:
        if self.may_run_code and self._analyzer_ok and self.target.is_halted():
            crc = self._chip_crc(addr, size)
            if crc is not None:
                self.bytes_read += 4
                return crc == crc32(b"\xff" * size) & 0xFFFFFFFF
        return self.read(addr, size).count(0xFF) == size

    def _chip_crc(self, addr: int, size: int) -> int | None:
        from pyocd.core import exceptions

        region = self.target.memory_map.get_region_for_address(addr)
        flash = getattr(region, "flash", None)
        if flash is None or not flash.get_flash_info().crc_supported:
            self._analyzer_ok = False
            return None
        try:
            self.ran_code = True
            flash.init(flash.Operation.VERIFY)
            try:
                return flash.compute_crcs([(addr, size)])[0]
            finally:
                flash.uninit()
        except exceptions.Error as exc:
            LOG.debug("on-chip CRC failed (%s); reading instead", exc)
            self._analyzer_ok = False
            return None
