"""Flash operations on a pyOCD target: read, write with the vector table last, verify.

Writes go through pyOCD's FlashBuilder (the flash algorithm, sector erase only, smart flash) for everything but
the first page of an image (the app at 0x08000000, the bootloader at 0x080E0000), which is written last with
Flash.program_page on its already erased page, and its first 8 bytes (initial SP, reset vector) last of all, the SP
word the very last: until then the SP reads 0xFFFFFFFF, which no image starts with. An interruption or a failed
verify at any moment leaves no valid vector table in front of half-written code, so the next diagnosis sees
`app-missing` (or `bootloader-missing`) and the next `fix` writes it again.

Reads and writes retry transient SWD transfer errors, bounded (retry.py): a write is redone whole, and pyOCD's smart
flash then erases and programs only the sectors that do not hold the image yet.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from ..knowledge.flash import BOOTLOADER_BASE, FLASH_BASE, FLASH_SIZE
from ..target.chip_id import require_vesc_chip

LOG = logging.getLogger(__name__)
Progress = Callable[[float], None]
READ_CHUNK = 0x10000
# Below this many bytes a verify reads back instead of asking the chip: a run of the on-chip analyzer (the flash
# algorithm's init, the analyzer's load and call, its uninit: some 300 USB transfers) costs about what reading
# 32 KiB does at the ST-Link/V2's 4.6 MHz (bench/fix_cost.py).
READ_BACK_BELOW = 0x8000
IMAGE_BASES = (FLASH_BASE, BOOTLOADER_BASE)  # where an image's vector table is: the app's and the bootloader's
VECTOR_BYTES = 8  # initial SP (offset 0) and reset vector (offset 4): what makes an image runnable


class VerifyError(Exception):
    def __init__(self, address: int, count: int, what: str):
        super().__init__(f"verify failed for the {what}: {count} byte(s) differ, the first at 0x{address:08X}")
        self.address, self.count, self.what = address, count, what


def read_range(target, address: int, size: int, progress: Progress | None = None) -> bytes:
    """Read flash; a transient SWD transfer error is retried (a few times per chunk by read_block, then in smaller
    chunks, as often as the error rate needs: retry.ReadPacer) before the read gives up (retry.GaveUp)."""
    from ..target.flash_reader import read_block
    from .retry import ReadPacer, transient

    out = bytearray()
    pacer = ReadPacer()
    while len(out) < size:
        n = min(pacer.chunk, size - len(out))
        try:
            out += read_block(target, address + len(out), n)
        except Exception as exc:  # noqa: BLE001 - transient transfer errors are paced, the rest raised
            if not transient(exc):
                raise
            pacer.failed(address + len(out), exc)
            continue
        pacer.ok()
        if progress:
            progress(len(out) / size)
    return bytes(out)


def read_flash(target, progress: Progress | None = None) -> bytes:
    return read_range(target, FLASH_BASE, FLASH_SIZE, progress)


def sha256_range(target, address: int, size: int) -> str:
    return hashlib.sha256(read_range(target, address, size)).hexdigest()


CRC_PROOF = "on-chip CRC32 per 16 KB"


def sector_proof(target, address: int, size: int, like: str | None = None) -> tuple[str, object]:
    """What a range holds, to tell later whether it changed: (CRC_PROOF, [crc, ...]) computed by the chip on a
    halted core (target.onchip_checksum), else ("sha256", hexdigest) of the bytes read. `like`: the kind of the
    proof this one is compared with: when that was the chip's CRCs and the chip cannot compute them now (a transfer
    error cut the analyzer's run), the same CRC32s are computed on the host from the bytes read, so the two proofs
    still compare what the range holds, not how it was measured."""
    from ..target.onchip_checksum import OnChipChecksum, OnChipUnavailable, aligned_blocks, host_crc

    halted = getattr(target, "is_halted", None)
    if like in (None, CRC_PROOF) and halted is not None and halted():
        try:
            return CRC_PROOF, [crc for _, _, crc in OnChipChecksum(target).crc_of(address, size)]
        except (OnChipUnavailable, ValueError) as exc:
            LOG.debug("on-chip CRC of 0x%08X: %s; reading", address, exc)
    if like == CRC_PROOF:
        data = read_range(target, address, size)
        return CRC_PROOF, [host_crc(data[a - address:a - address + n]) for a, n, _ in aligned_blocks(address, size)]
    return "sha256", sha256_range(target, address, size)


def _regions(target, address: int, data: bytes):
    """Split (address, data) by flash region: [(region, address, data)]."""
    out = []
    while data:
        region = target.memory_map.get_region_for_address(address)
        if region is None or not region.is_flash:
            raise ValueError(f"0x{address:08X} is not in flash")
        n = min(len(data), region.end - address + 1)
        out.append((region, address, data[:n]))
        address, data = address + n, data[n:]
    return out


def _by_sector(target, segments: list[tuple[int, bytes]]) -> dict[int, dict[int, int]]:
    """Sector base -> {address: byte} of everything to write there."""
    out: dict[int, dict[int, int]] = {}
    for addr, data in segments:
        for region, at, chunk in _regions(target, addr, data):
            flash = region.flash
            offset = 0
            while offset < len(chunk):
                sector = flash.get_sector_info(at + offset)
                n = min(len(chunk) - offset, sector.base_addr + sector.size - (at + offset))
                cells = out.setdefault(sector.base_addr, {})
                cells.update(zip(range(at + offset, at + offset + n), chunk[offset:offset + n]))
                offset += n
    return out


def _program(target, writes: list[tuple[int, bytes]], *, uninit: bool = True) -> int:
    """Program (address, bytes) runs with pyOCD's flash algorithm (Flash.program_page, no erase) onto flash that
    is erased there (or already holds those bytes: programming only clears bits): trailing 0xFF is not programmed,
    the rest in whole words, as the algorithm programs 32 bits at a time (the F4 programs an erased word whenever
    asked, whatever the rest of its page holds). Returns the bytes programmed. `uninit=False` leaves the algorithm
    inited for a next _program (the caller uninits it, also on an error: write_vector_page)."""
    writes = [(addr, data.rstrip(b"\xff")) for addr, data in writes]
    writes = [(addr, data + b"\xff" * (-len(data) % 4)) for addr, data in writes if data]
    if not writes:
        return 0
    require_vesc_chip(target)  # the chip identity gate: never program anything but a VESC's F405/407
    flash = target.memory_map.get_region_for_address(writes[0][0]).flash
    flash.init(flash.Operation.PROGRAM)
    try:
        for addr, data in writes:
            flash.program_page(addr, list(data))
    except BaseException:
        flash.uninit()
        raise
    if uninit:
        flash.uninit()
    return sum(len(data) for _, data in writes)


def _sector_states(target, sectors: dict[int, dict[int, int]]) -> dict[int, str] | None:
    """Each sector to write (base -> {address: byte}) as the chip's CRCs see it, all in one run of pyOCD's CRC
    analyzer: "blank" (all 0xFF), "same" (already holds what is to be written and 0xFF elsewhere: nothing to do, as
    pyOCD's smart flash would skip it) or "differs" (to be erased first). A CRC misread over a noisy wire can only
    make a sector "differs": an erase more. None when the chip cannot tell (core not halted, no analyzer)."""
    from ..target.onchip_checksum import OnChipChecksum, OnChipUnavailable, aligned_blocks, host_crc

    halted = getattr(target, "is_halted", None)
    if halted is None or not halted():
        return None
    sizes = {base: target.memory_map.get_region_for_address(base).flash.get_sector_info(base).size
             for base in sectors}
    blocks = [(a, n) for base in sorted(sizes) for a, n, _ in aligned_blocks(base, sizes[base])]
    try:
        crcs = dict(zip(blocks, OnChipChecksum(target).crcs(blocks)))
    except OnChipUnavailable as exc:
        LOG.debug("%s; checking sectors by reading", exc)
        return None
    states = {}
    for base, cells in sectors.items():
        mine = [(a, n) for a, n in blocks if base <= a < base + sizes[base]]
        want = bytes(cells.get(a, 0xFF) for a in range(base, base + sizes[base]))
        if all(crcs[(a, n)] == host_crc(b"\xff" * n) for a, n in mine):
            states[base] = "blank"
        elif all(crcs[(a, n)] == host_crc(want[a - base:a - base + n]) for a, n in mine):
            states[base] = "same"
        else:
            states[base] = "differs"
    return states


def _erase_for_writing(target, bases: list[int], progress: Progress) -> None:
    """Erase whole sectors through their region's Flash (at PSIZE x32 at the register level on vescdoctor's link:
    no algorithm needed; else pyOCD's algorithm, inited for it)."""
    for n, base in enumerate(bases):
        flash = target.memory_map.get_region_for_address(base).flash
        if getattr(target, "erase_x32", False):
            flash.erase_sector(base)
        else:
            flash.init(flash.Operation.ERASE)
            try:
                flash.erase_sector(base)
            finally:
                flash.uninit()
        progress((n + 1) / len(bases))


def _blank_sector_pages(target, base: int, cells: dict[int, int]) -> list[tuple[int, bytes]]:
    """The whole pages of a sector known to be erased that must be programmed: pages that would stay 0xFF are left
    out (no erase, and nothing to program there)."""
    flash = target.memory_map.get_region_for_address(base).flash
    sector = flash.get_sector_info(base)
    pages = []
    page_addr = sector.base_addr
    while page_addr < sector.base_addr + sector.size:
        page = flash.get_page_info(page_addr)
        data = bytes(cells.get(a, 0xFF) for a in range(page.base_addr, page.base_addr + page.size))
        if data.count(0xFF) != len(data):
            pages.append((page.base_addr, data))
        page_addr = page.base_addr + page.size
    return pages


def _program_blank_pages(target, pages: list[tuple[int, bytes]], progress: Progress) -> int:
    """Program whole pages of erased sectors with pyOCD's flash algorithm, all in one run (one algorithm load; the
    algorithm programs any flash address, whichever region's Flash runs it). Returns the bytes programmed."""
    if not pages:
        return 0
    flash = target.memory_map.get_region_for_address(pages[0][0]).flash
    if not flash.is_double_buffering_supported or len(pages) < 2:
        return _program(target, pages)
    require_vesc_chip(target)  # the chip identity gate: never program anything but a VESC's F405/407
    _program_double_buffered(flash, pages, progress)
    return sum(len(data) for _, data in pages)


def _program_double_buffered(flash, pages: list[tuple[int, bytes]], progress: Progress) -> None:
    """Program whole pages with the algorithm through two buffers, as pyOCD's FlashBuilder does with its page
    buffers (pyocd/flash/builder.py `_program_double_buffer`): the next piece crosses SWD into one buffer while the
    chip programs the other's, so the link and the flash work at the same time. Where the target's Flash has large
    program buffers (target/stm32f405.py), consecutive pages are programmed 56 KiB at a time."""
    from pyocd.core.exceptions import FlashProgramFailure

    pieces = _merged(pages, getattr(flash, "program_buffer_size", 0)) if hasattr(
        flash, "start_program_from_buffer") else pages
    timeout = flash.target.session.options.get("flash.timeout.program")
    flash.init(flash.Operation.PROGRAM)
    try:
        _load(flash, 0, pieces[0])
        for n, (addr, data) in enumerate(pieces):
            if hasattr(flash, "start_program_from_buffer"):
                flash.start_program_from_buffer(n % 2, addr, len(data))
            else:
                flash.start_program_page_with_buffer(n % 2, addr)
            if n + 1 < len(pieces):
                _load(flash, (n + 1) % 2, pieces[n + 1])
            result = flash.wait_for_completion(timeout=timeout)
            if result != 0:
                raise FlashProgramFailure("flash program page failure" if result != flash.TIMEOUT_ERROR else
                                          "flash program page timeout", address=addr, result_code=result)
            progress((n + 1) / len(pieces))
    finally:
        flash.uninit()


def _load(flash, number: int, piece: tuple[int, bytes]) -> None:
    if hasattr(flash, "load_program_buffer"):
        flash.load_program_buffer(number, piece[1])
    else:
        flash.load_page_buffer(number, *piece)


def _merged(pages: list[tuple[int, bytes]], limit: int) -> list[tuple[int, bytes]]:
    """Consecutive (address, bytes) pages joined into pieces of at most `limit` bytes (pages kept as they are
    when `limit` is smaller than a page)."""
    out: list[tuple[int, bytes]] = []
    for addr, data in pages:
        if out and out[-1][0] + len(out[-1][1]) == addr and len(out[-1][1]) + len(data) <= limit:
            out[-1] = (out[-1][0], out[-1][1] + data)
        else:
            out.append((addr, data))
    return out


def held_back(target, segments: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """The (address, bytes) that write_segments leaves erased and write_verified writes last, ascending: from each
    image base a segment holds (0x08000000, 0x080E0000; a restore passes every sector, so both), and from the start
    of the first segment, the rest of that segment's first flash page."""
    starts = {segments[0][0]} if segments else set()
    starts |= {base for base in IMAGE_BASES for addr, data in segments if addr <= base < addr + len(data)}
    out = []
    for start in sorted(starts):
        addr, data = [(a, d) for a, d in segments if a <= start < a + len(d)][-1]  # the last one wins, as written
        page = target.memory_map.get_region_for_address(start).flash.get_page_info(start)
        end = min(addr + len(data), page.base_addr + page.size)
        out.append((start, data[start - addr:end - addr]))
    return out


def _cut(segments: list[tuple[int, bytes]], held: list[tuple[int, bytes]],
         fill: bool) -> list[tuple[int, bytes]]:
    """`segments` without the held-back ranges: those bytes made 0xFF (fill) or cut out (pieces, empty ones
    dropped)."""
    out = []
    for addr, data in segments:
        pieces, at = [], addr
        for start, head in held:
            stop = start + len(head)
            if at < stop and start < addr + len(data):
                lo, hi = max(start, at), min(stop, addr + len(data))
                pieces.append((at, data[at - addr:lo - addr]))
                if fill:
                    pieces.append((lo, b"\xff" * (hi - lo)))
                at = hi
        pieces.append((at, data[at - addr:]))
        if fill:
            out.append((addr, b"".join(piece for _, piece in pieces)))
        else:
            out.extend(piece for piece in pieces if piece[1])
    return out


def _write_with_builder(target, sectors: dict[int, dict[int, int]], on_erase: Progress,
                        on_program: Progress) -> None:
    """Without the chip's CRCs: each sector checked blank by reading (ChipReader.is_blank); blank sectors programmed
    without an erase, the others through pyOCD's FlashBuilder with sector erase and smart flash."""
    from ..target.flash_reader import ChipReader

    reader = ChipReader(target, may_run_code=True)
    blank = {base for base in sectors if reader.is_blank(
        base, target.memory_map.get_region_for_address(base).flash.get_sector_info(base).size)}
    builders: dict[Any, Any] = {}
    for base, cells in sorted(sectors.items()):
        if base in blank:
            continue
        region = target.memory_map.get_region_for_address(base)
        builder = builders.get(region)
        if builder is None:
            builder = builders[region] = region.flash.get_flash_builder()
            builder.log_performance = False
        for addr, data in _runs(cells):
            builder.add_data(addr, list(data))
    ordered = sorted(builders.values(), key=lambda b: b.region.start)
    total = sum(b.buffered_data_size for b in ordered) or 1

    def scaled(cb: Progress, offset: float, share: float) -> Progress:
        return lambda f: cb(min(1.0, offset + f * share))

    done = 0.0
    for b in ordered:
        share = b.buffered_data_size / total
        b.erase(chip_erase="sector", progress_cb=scaled(on_erase, done, share), smart_flash=True,
                keep_unwritten=False)
        done += share
    on_erase(1.0)
    work = sum(len(sectors[base]) for base in blank) + sum(b.buffered_data_size for b in ordered) or 1
    done_bytes = sum(len(sectors[base]) for base in blank)
    _program_blank_pages(target, [page for base in sorted(blank) for page in _blank_sector_pages(
        target, base, sectors[base])], scaled(on_program, 0.0, done_bytes / work))
    for b in ordered:
        share = b.buffered_data_size / work
        b.program(progress_cb=scaled(on_program, done_bytes / work, share), smart_flash=True, keep_unwritten=False)
        done_bytes += b.buffered_data_size


def write_segments(target, segments: list[tuple[int, bytes]], *, on_erase: Progress,
                   on_program: Progress) -> list[tuple[int, bytes]]:
    """Erase and program `segments` erasing as little as the chip allows, all but their vector tables.

    Each sector to be written is checked on the chip first (pyOCD's CRC analyzer, one run for all: a few bytes over
    SWD): a sector that already holds its bytes is left alone, one that holds other data is erased, and the blank
    and erased ones are programmed in one double-buffered run of the algorithm (as pyOCD's FlashBuilder with sector
    erase and smart flash would, which is what runs when the chip cannot compute CRCs). The vector-table pages
    (held_back()) are left erased and returned as [(address, bytes)]: the caller verifies what was written, then
    writes each with write_vector_page(). So an interruption or a verify failure never leaves a valid vector table
    in front of code that is not the image. The caller has done reset_and_halt()."""
    if not segments:
        return []
    require_vesc_chip(target)  # the chip identity gate: nothing is erased on another chip
    held = held_back(target, segments)
    blanked = _cut(segments, held, fill=True)

    sectors = _by_sector(target, blanked)
    states = _sector_states(target, sectors)
    if states is None:
        _write_with_builder(target, sectors, on_erase, on_program)
        on_program(1.0)
        return held
    _erase_for_writing(target, sorted(b for b, state in states.items() if state == "differs"), on_erase)
    on_erase(1.0)
    todo = sorted(b for b, state in states.items() if state != "same")
    _program_blank_pages(target, [page for base in todo for page in _blank_sector_pages(target, base, sectors[base])],
                         on_program)
    on_program(1.0)
    return held


def write_vector_page(target, address: int, data: bytes, what: str = "image") -> int:
    """Program a held-back vector-table page onto its erased flash (after the rest was verified), its first 8 bytes
    last: the page without them, verified; then the reset vector word, then the initial SP word, verified. Until the
    SP word is programmed it reads 0xFFFFFFFF, so a failure or an interruption at any point leaves no runnable image
    there. Returns the bytes verified; VerifyError otherwise."""
    current = read_range(target, address, len(data))
    if current == data:
        return len(data)
    key = min(VECTOR_BYTES, len(data))
    want = b"\xff" * key + data[key:]
    # Programming only clears bits. A cell that is neither erased nor already right (a stuck bit) can never hold
    # the image, and erasing now would also erase the rest of the sector, just written and verified: stop here,
    # as the verify after programming would, with nothing of this page written.
    wrong = [i for i, (have, need) in enumerate(zip(current, want)) if have & need != need]
    if wrong:
        raise VerifyError(address + wrong[0], len(wrong), what)
    # one init of the algorithm for the page and its vector words: the verify between reads back (under
    # READ_BACK_BELOW), so it does not run the analyzer
    try:
        _program(target, [(address + key, data[key:])], uninit=False)
        checked = verify_segments(target, [(address, b"\xff" * key + data[key:], what)])
        # the reset vector, then the SP: the word that makes the image runnable, last of all, in this order
        _program(target, [(address + offset, data[offset:min(offset + 4, key)]) for offset in (4, 0) if offset < key],
                 uninit=False)
    finally:
        target.memory_map.get_region_for_address(address).flash.uninit()
    verify_segments(target, [(address, data[:key], what)])
    return checked


def _runs(cells: dict[int, int]):
    """Contiguous (address, bytes) runs of a {address: byte} map."""
    addrs = sorted(cells)
    start = prev = addrs[0]
    for addr in addrs[1:] + [None]:
        if addr is not None and addr == prev + 1:
            prev = addr
            continue
        yield start, bytes(cells[a] for a in range(start, prev + 1))
        if addr is not None:
            start = prev = addr


def write_verified(target, segments: list[tuple[int, bytes]], what: str, *, on_erase: Progress,
                   on_program: Progress, on_verify: Progress | None = None,
                   on_vector_page: Callable[[], None] | None = None,
                   on_retry: Callable[[str], None] | None = None) -> int:
    """Write `segments` and verify every byte, the vector tables last: everything else is written and verified
    before their pages are programmed (write_vector_page: the SP word the very last), so a mismatch (or an
    interruption) leaves no valid vector table and the chip cannot start an image that is not the one given.
    Every image base a segment holds is protected so (a restore's sector 0 and sector 11 alike). A write cut by a
    transient SWD transfer error is redone, bounded (retry.retry_write); GaveUp when the tries are used up. Returns
    the bytes verified; VerifyError otherwise."""
    from .retry import retry_write

    return retry_write(target, what, lambda: _write_verified_once(
        target, segments, what, on_erase=on_erase, on_program=on_program, on_verify=on_verify,
        on_vector_page=on_vector_page), on_retry)


def _write_verified_once(target, segments: list[tuple[int, bytes]], what: str, *, on_erase: Progress,
                         on_program: Progress, on_verify: Progress | None,
                         on_vector_page: Callable[[], None] | None) -> int:
    held = write_segments(target, segments, on_erase=on_erase, on_program=on_program)
    checked = verify_segments(target, [(address, data, what) for address, data in _cut(segments, held, fill=False)],
                              on_verify)
    if held and on_vector_page:
        on_vector_page()
    for address, data in held:
        checked += write_vector_page(target, address, data, what)
    if on_verify:
        on_verify(1.0)
    return checked


def verify_segments(target, segments: list[tuple[int, bytes, str]], progress: Progress | None = None) -> int:
    """Check every written byte; VerifyError with the first mismatch and the count. Returns bytes checked.

    On a halted core the chip computes CRCs of the written ranges (target.flash_reader.differing_by_chip) and only
    the blocks it does not confirm are read back and compared byte for byte; otherwise (and for less than
    READ_BACK_BELOW bytes in all) everything is read back."""
    from ..target.flash_reader import differing_by_chip

    total = sum(len(d) for _, d, _ in segments) or 1
    checked = 0
    # one on-chip run for all segments (each run of the analyzer costs a load, a call and the algorithm's init);
    # a few KB are cheaper read back
    found = differing_by_chip(target, [(addr, data) for addr, data, _ in segments]) if total >= READ_BACK_BELOW \
        else None
    for addr, data, what in segments:
        pieces = [(addr, len(data))] if found is None else [(a, n) for a, n in found if addr <= a < addr + len(data)]
        for at, n in pieces:
            got, want = read_range(target, at, n), data[at - addr:at - addr + n]
            if got != want:
                diffs = [i for i in range(n) if got[i] != want[i]]
                raise VerifyError(at + diffs[0], len(diffs), what)
        checked += len(data)
        if progress:
            progress(checked / total)
    return checked


def _share(progress: Progress, done: int, size: int, total: int) -> Progress:
    """`progress` for a part of `size` bytes after `done` bytes of `total`."""
    return lambda f: progress((done + f * size) / total)


def erase_sectors(target, addresses: list[int]) -> None:
    """Erase whole sectors (the region's Flash: at PSIZE x32 at the register level on vescdoctor's link, else
    pyOCD's flash algorithm) and check each reads back blank (FlashFailure if not).
    The caller has done reset_and_halt()."""
    from pyocd.core.memory_map import FlashRegion
    from pyocd.flash.flash import Flash

    for address in addresses:
        region = target.memory_map.get_region_for_address(address)
        if not isinstance(region, FlashRegion):
            raise ValueError(f"0x{address:08X} is not in flash")
        size = region.flash.get_sector_info(address).size
        region.flash.init(Flash.Operation.ERASE)
        try:
            region.flash.erase_sector(address)
        finally:
            region.flash.cleanup()
        if read_range(target, address, size) != b"\xff" * size:
            raise VerifyError(address, size, f"erase of the sector at 0x{address:08X} (not blank after it)")


def erase_chip(target, address: int) -> None:
    """Mass-erase the flash bank holding `address` (the region's Flash.erase_all: MER at PSIZE x32 on vescdoctor's
    link, else pyOCD's flash algorithm). The caller has done
    reset_and_halt() and checks the result."""
    from pyocd.core.memory_map import FlashRegion
    from pyocd.flash.flash import Flash

    region = target.memory_map.get_region_for_address(address)
    if not isinstance(region, FlashRegion):
        raise ValueError(f"0x{address:08X} is not in flash")
    region.flash.init(Flash.Operation.ERASE)
    try:
        region.flash.erase_all()
    finally:
        region.flash.cleanup()
