"""Reading the F405's flash through pyOCD, for the flash map and for the fix's blank checks.

- Transient SWD transfer errors (a long or noisy wire) are retried a few times per chunk, as a careful tool does; a
  fault (RDP level 1 refuses the read) is not retried: it will not change. `read_block` does that for every flash
  read of vescdoctor (the fix's backup and verify too).
- A sector's blank/used state can be asked of the chip itself: pyOCD's CRC analyzer runs on the core and returns
  CRCs (target.onchip_checksum), so a blank 128 KB sector costs 32 bytes over SWD instead of 128 KB. That runs
  code on the chip, so it is allowed only where the caller says so (`may_run_code`): a chip the caller halted
  because nothing could run on it, or a chip the fix resets afterwards anyway. Otherwise the reader reads.
- `read_proven` reads a range once and proves it by the chip's CRCs (the fix's backup); `differing_by_chip` says
  which pieces of written ranges the chip does not confirm (the fix's verify).
"""
from __future__ import annotations

import logging

LOG = logging.getLogger(__name__)
READ_CHUNK = 0x4000
LOOK = 64  # bytes read first of a piece the chip's CRC says is not erased
RETRIES = 3  # retries of one chunk; a link that fails more often than that in a row is not working


def unfiltered_read8(target, addr: int, size: int):
    """The core's MEM-AP read for [addr, addr+size) when no software breakpoint can lie there, else the target's.

    pyOCD's CortexM.read_memory_block8 reads through its AP and then passes every byte through the breakpoint
    manager's filter (pyocd 0.46.0 coresight/cortex_m.py:631-636, debug/breakpoints/manager.py:287-291: one Python
    call per byte per provider), which puts back the instructions its software breakpoints replaced. A software
    breakpoint can only be set in a writable region (debug/breakpoints/software.py:59-61, `can_support_address`),
    and flash is not one (core/memory_map.py FlashRegion: access 'rx'), so for flash the filter changes nothing:
    the bytes are read through the same AP call without it."""
    core = getattr(target, "selected_core", None)
    ap, sw_bp = getattr(core, "ap", None), getattr(core, "sw_bp", None)
    if ap is None or sw_bp is None or sw_bp.can_support_address(addr) or sw_bp.can_support_address(addr + size - 1):
        return target.read_memory_block8
    return ap.read_memory_block8


def read_block(target, addr: int, size: int) -> bytes:
    """One block read over SWD, retried up to RETRIES times on a transient transfer error (a long or noisy wire).

    A bus fault (TransferFaultError: read protection) is raised at once, it will not change. When every attempt
    fails the link is not working: a TransferError that says where and how often. Only for reads: repeating a read
    changes nothing on the chip, repeating a write step might."""
    from pyocd.core import exceptions

    read8 = unfiltered_read8(target, addr, size)
    for attempt in range(RETRIES + 1):
        try:
            return bytes(read8(addr, size))
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
        self.seen: list[tuple[int, bytes]] = []  # what was read, for a later proven read (target.proven_flash)
        self._asked: dict[tuple[int, int], list[tuple[int, int]]] = {}  # prefetch_blank's answers, used once

    def read(self, addr: int, size: int) -> bytes:
        if size >= 2 * READ_CHUNK and self._chip_may_check():
            return self._read_skipping_blank(addr, size)
        return self._read(addr, size)

    def _read(self, addr: int, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            n = min(READ_CHUNK, size - len(out))
            out += read_block(self.target, addr + len(out), n)
        self.bytes_read += size
        self.seen.append((addr, bytes(out)))
        return bytes(out)

    def _chip_may_check(self) -> bool:
        return self.may_run_code and self._analyzer_ok and self.target.is_halted()

    def _not_erased_by_chip(self, ranges: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
        """One run of the chip's CRC analyzer over `ranges`: the pieces it does not confirm erased. None when the
        analyzer cannot run here (then the caller reads, and the chip is not asked again)."""
        from .onchip_checksum import OnChipChecksum, OnChipUnavailable

        chip = OnChipChecksum(self.target)
        try:
            self.ran_code = True
            pieces = chip.differing([(a, b"\xff" * n) for a, n in ranges])
        except OnChipUnavailable as exc:
            LOG.debug("%s; reading instead", exc)
            self._analyzer_ok = False
            return None
        self.bytes_read += chip.bytes_read
        return pieces

    def _read_skipping_blank(self, addr: int, size: int) -> bytes:
        """A long read where the chip may run code: its CRCs name the 16 KB blocks that are erased (4 bytes each
        instead of 16 KB), the rest is read. The erased blocks count as seen: the chip's CRC proved them."""
        from .onchip_checksum import MAX_BLOCK

        unconfirmed = self._not_erased_by_chip([(addr, size)])
        if unconfirmed is None:
            return self._read(addr, size)
        out = bytearray(b"\xff" * size)
        for at, n in unconfirmed:
            out[at - addr:at - addr + n] = self._read(at, n)
        first = -(-addr // MAX_BLOCK) * MAX_BLOCK
        self.seen.extend((at, b"\xff" * MAX_BLOCK) for at in range(first, addr + size - MAX_BLOCK + 1, MAX_BLOCK)
                         if not any(a < at + MAX_BLOCK and at < a + n for a, n in unconfirmed))
        return bytes(out)

    def prefetch_blank(self, ranges: list[tuple[int, int]]) -> None:
        """Ask the chip about several ranges in one run of its CRC analyzer (each run costs the flash algorithm's
        init and the analyzer's load and call: about 0.1 s at 4.6 MHz); is_blank of one of them answers from it."""
        if not (ranges and self._chip_may_check()):
            return
        pieces = self._not_erased_by_chip(ranges)
        if pieces is None:
            return
        for a, n in ranges:
            self._asked[(a, n)] = [(p, m) for p, m in pieces if a <= p < a + n]

    def is_blank(self, addr: int, size: int) -> bool:
        asked = self._asked.pop((addr, size), None)
        if asked is not None:  # blocks whose CRC is not 0xFF's are read: all 0xFF is blank after all
            return all(self.read(a, n).count(0xFF) == n for a, n in asked)
        pieces = self._not_erased_by_chip([(addr, size)]) if self._chip_may_check() else None
        if pieces is not None:
            # a piece the chip does not confirm erased is read: its first bytes usually show the data
            return all(self._read(a, min(n, LOOK)).count(0xFF) == min(n, LOOK)
                       and self._read(a, n).count(0xFF) == n for a, n in pieces)
        return self._read(addr, size).count(0xFF) == size


def read_proven(target, addr: int, size: int, read, *, chip_ok: bool,
                known: dict[int, bytes] | None = None) -> bytes:
    """`size` bytes at `addr` read once with `read(addr, size)` and proven: the chip's own CRCs of the range
    (target.onchip_checksum) must match the bytes read, so a noisy wire cannot make a wrong copy. A block that
    differs is read again (up to RETRIES times) until it matches its on-chip CRC; otherwise a TransferError.
    `known` ({block address: bytes}, what this run already read, e.g. its diagnosis): a block whose bytes match
    the chip's CRC is not read again. Nor is an erased block: its CRC is the CRC of 0xFF bytes.

    Without the analyzer (`chip_ok` false: a core the caller may not run code on, or a flash algorithm without it)
    the range is read twice and the two reads must agree, as before."""
    from pyocd.core import exceptions

    from .onchip_checksum import OnChipChecksum, OnChipUnavailable, host_crc

    crcs = None
    if chip_ok and target.is_halted():
        try:
            crcs = OnChipChecksum(target).crc_of(addr, size)
        except (OnChipUnavailable, ValueError) as exc:
            LOG.debug("%s; reading twice instead", exc)
    if crcs is None:
        data = read(addr, size)
        if read(addr, size) != data:
            raise exceptions.TransferError("two reads of the flash differ: the SWD connection is unreliable")
        return data
    blocks = {at: (known or {}).get(at, b"") for at, _, _ in crcs}
    erased = {n: host_crc(b"\xff" * n) for n in {n for _, n, _ in crcs}}
    blocks.update({at: b"\xff" * n for at, n, crc in crcs if not blocks[at] and crc == erased[n]})  # not read
    wanted = [(at, n) for at, n, crc in crcs if len(blocks[at]) != n or host_crc(blocks[at]) != crc]
    for start, length in _runs_of(wanted):  # one read per run of blocks still to read
        run = read(start, length)
        for at in range(start, start + length, crcs[0][1]):
            blocks[at] = run[at - start:at - start + crcs[0][1]]
    for at, n, crc in crcs:
        for attempt in range(RETRIES + 1):
            if host_crc(blocks[at]) == crc:
                break
            if attempt == RETRIES:
                raise exceptions.TransferError(
                    f"reading 0x{at:08X}+{n}: {RETRIES + 1} reads differ from the chip's own CRC "
                    "(the SWD connection is unreliable)")
            blocks[at] = read(at, n)
    return b"".join(blocks[at] for at, _, _ in crcs)


def _runs_of(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for at, n in pieces:
        if out and out[-1][0] + out[-1][1] == at:
            out[-1] = (out[-1][0], out[-1][1] + n)
        else:
            out.append((at, n))
    return out


def differing_by_chip(target, segments: list[tuple[int, bytes]]) -> list[tuple[int, int]] | None:
    """The (address, size) pieces of `segments` the chip's CRCs do not confirm (to be read back byte for byte), or
    None when the chip cannot tell (not halted, no analyzer): then the caller reads everything."""
    from .onchip_checksum import OnChipChecksum, OnChipUnavailable

    halted = getattr(target, "is_halted", None)  # a stand-in target without a core cannot run the analyzer
    if halted is None or not halted():
        return None
    try:
        return OnChipChecksum(target).differing(segments)
    except OnChipUnavailable as exc:
        LOG.debug("%s; reading back instead", exc)
        return None
