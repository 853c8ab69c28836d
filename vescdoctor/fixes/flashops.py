"""Flash operations on a pyOCD target: read, write with the vector table last, verify.

Writes go through pyOCD's FlashBuilder (the flash algorithm, sector erase only, smart flash) for everything but
the first page of an image, which is written last with Flash.program_page on its already erased page: an
interruption at any moment leaves no valid vector table in front of half-written code, so the next diagnosis sees
`app-missing` (or `bootloader-missing`) and the next `fix` writes it again.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from ..knowledge.flash import FLASH_BASE, FLASH_SIZE

Progress = Callable[[float], None]
READ_CHUNK = 0x10000


class VerifyError(Exception):
    def __init__(self, address: int, count: int, what: str):
        super().__init__(f"verify failed for the {what}: {count} byte(s) differ, the first at 0x{address:08X}")
        self.address, self.count, self.what = address, count, what


def read_range(target, address: int, size: int, progress: Progress | None = None) -> bytes:
    out = bytearray()
    while len(out) < size:
        n = min(READ_CHUNK, size - len(out))
        out += bytes(target.read_memory_block8(address + len(out), n))
        if progress:
            progress(len(out) / size)
    return bytes(out)


def read_flash(target, progress: Progress | None = None) -> bytes:
    return read_range(target, FLASH_BASE, FLASH_SIZE, progress)


def sha256_range(target, address: int, size: int) -> str:
    return hashlib.sha256(read_range(target, address, size)).hexdigest()


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


def _program_blank_sector(target, base: int, cells: dict[int, int]) -> int:
    """Program a sector known to be erased, page by page, with pyOCD's flash algorithm: no erase, and pages that
    would stay 0xFF are not programmed at all. Returns the bytes programmed."""
    flash = target.memory_map.get_region_for_address(base).flash
    sector = flash.get_sector_info(base)
    programmed = 0
    flash.init(flash.Operation.PROGRAM)
    try:
        page_addr = sector.base_addr
        while page_addr < sector.base_addr + sector.size:
            page = flash.get_page_info(page_addr)
            data = bytes(cells.get(a, 0xFF) for a in range(page.base_addr, page.base_addr + page.size))
            used = len(data.rstrip(b"\xff"))
            if used:
                used = (used + 3) & ~3  # whole words: the algorithm programs 32 bits at a time
                flash.program_page(page.base_addr, list(data[:used]))
                programmed += used
            page_addr = page.base_addr + page.size
    finally:
        flash.uninit()
    return programmed


class WriteError(Exception):
    """The chip is not in the state a write step needs; nothing more was written."""


def write_segments(target, segments: list[tuple[int, bytes]], *, on_erase: Progress,
                   on_program: Progress) -> tuple[int, bytes] | None:
    """Erase and program `segments` erasing as little as the chip allows, all but their vector table.

    Each sector to be written is checked on the chip first (pyOCD's CRC analyzer: a few bytes over SWD). A sector
    already blank is programmed without an erase; the others go through pyOCD's FlashBuilder with sector erase and
    smart flash (only sectors whose bytes differ are erased). The first page of the first segment (its vector
    table) is left erased and returned as (address, bytes): the caller verifies what was written, then writes it
    with write_vector_page(). So an interruption or a verify failure never leaves a valid vector table in front of
    code that is not the image. The caller has done reset_and_halt()."""
    from ..target.flash_reader import ChipReader

    if not segments:
        return None
    head_addr, head_data = segments[0]
    page = target.memory_map.get_region_for_address(head_addr).flash.get_page_info(head_addr)
    head_len = min(len(head_data), page.base_addr + page.size - head_addr)
    head = head_data[:head_len]
    blanked = [(head_addr, b"\xff" * head_len + head_data[head_len:])] + list(segments[1:])

    reader = ChipReader(target, may_run_code=True)  # halted for programming; reset after the fix
    sectors = _by_sector(target, blanked)
    blank = {base for base in sectors
             if reader.is_blank(base, target.memory_map.get_region_for_address(base).flash.get_sector_info(base).size)}

    builders = {}
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
    done_bytes = 0
    for base in sorted(blank):
        _program_blank_sector(target, base, sectors[base])
        done_bytes += len(sectors[base])
        on_program(min(1.0, done_bytes / work))
    for b in ordered:
        share = b.buffered_data_size / work
        b.program(progress_cb=scaled(on_program, done_bytes / work, share), smart_flash=True, keep_unwritten=False)
        done_bytes += b.buffered_data_size
    on_program(1.0)
    return head_addr, head


def write_vector_page(target, address: int, data: bytes) -> None:
    """Program the held-back vector-table page onto its erased page (after the rest was verified)."""
    current = read_range(target, address, len(data))
    if current == data:
        return
    if current != b"\xff" * len(data):
        # Erasing now would also erase the rest of the sector, just written and verified: stop instead.
        raise WriteError(f"the vector-table page at 0x{address:08X} is not erased after the write; nothing more "
                         "was written")
    flash = target.memory_map.get_region_for_address(address).flash
    flash.init(flash.Operation.PROGRAM)
    try:
        flash.program_page(address, list(data))
    finally:
        flash.uninit()


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
                   on_vector_page: Callable[[], None] | None = None) -> int:
    """Write `segments` and verify every byte, the vector table last: everything else is written and verified
    before its page is programmed, so a mismatch (or an interruption) leaves that page erased and the chip cannot
    start an image that is not the one given. Returns the bytes verified; VerifyError / WriteError otherwise."""
    head = write_segments(target, segments, on_erase=on_erase, on_program=on_program)
    body = [(address, data, what) for address, data in segments]
    if head is not None:
        address, data, _ = body[0]
        body[0] = (address + len(head[1]), data[len(head[1]):], what)
    checked = verify_segments(target, [b for b in body if b[1]], on_verify)
    if head is not None:
        if on_vector_page:
            on_vector_page()
        write_vector_page(target, *head)
        checked += verify_segments(target, [(head[0], head[1], what)])
    if on_verify:
        on_verify(1.0)
    return checked


def verify_segments(target, segments: list[tuple[int, bytes, str]], progress: Progress | None = None) -> int:
    """Read back every written byte; VerifyError with the first mismatch and the count. Returns bytes checked."""
    total = sum(len(d) for _, d, _ in segments) or 1
    checked = 0
    for addr, data, what in segments:
        got = read_range(target, addr, len(data),
                         (lambda f, c=checked, n=len(data): progress((c + f * n) / total)) if progress else None)
        if got != data:
            diffs = [i for i in range(len(data)) if got[i] != data[i]]
            raise VerifyError(addr + diffs[0], len(diffs), what)
        checked += len(data)
    return checked
