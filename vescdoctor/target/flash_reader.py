"""Reading the F405's flash through pyOCD, for the flash map and for the fix's blank checks.

- Transient SWD transfer errors (a long or noisy wire) are retried a few times per chunk, as a careful tool does; a
  fault (RDP level 1 refuses the read) is not retried: it will not change. `read_block` does that for every flash
  read of vescdoctor (the fix's backup and verify too).
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
RETRIES = 3  # retries of one chunk; a link that fails more often than that in a row is not working


def read_block(target, addr: int, size: int) -> bytes:
    """One block read over SWD, retried up to RETRIES times on a transient transfer error (a long or noisy wire).

    A bus fault (TransferFaultError: read protection) is raised at once, it will not change. When every attempt
    fails the link is not working: a TransferError that says where and how often. Only for reads: repeating a read
    changes nothing on the chip, repeating a write step might."""
    from pyocd.core import exceptions

    for attempt in range(RETRIES + 1):
        try:
            return bytes(target.read_memory_block8(addr, size))
        except exceptions.TransferFaultError:
            raise
        except exceptions.TransferError as exc:
            if attempt == RETRIES:
                raise exceptions.TransferError(
                    f"reading {size} bytes at 0x{addr:08X} failed {RETRIES + 1} times in a row ({exc})") from exc
            LOG.debug("SWD read at 0x%08X failed (%s); retrying", addr, exc)
    raise AssertionError("unreachable")


class ChipReader:
    """A vescdoctor.flash_analysis reader over a pyOCD target; counts the bytes moved over SWD."""

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
            out += read_block(self.target, addr + len(out), n)
        self.bytes_read += size
        return bytes(out)

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
