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


def write_segments(target, segments: list[tuple[int, bytes]], *, on_erase: Progress, on_program: Progress) -> None:
    """Erase (sector erase, only sectors whose bytes differ) and program `segments`; the first page of the first
    segment (its vector table) is programmed last. The caller has done reset_and_halt()."""
    if not segments:
        return
    head_addr, head_data = segments[0]
    page = target.memory_map.get_region_for_address(head_addr).flash.get_page_info(head_addr)
    head_len = min(len(head_data), page.base_addr + page.size - head_addr)
    head = head_data[:head_len]
    blanked = [(head_addr, b"\xff" * head_len + head_data[head_len:])] + list(segments[1:])

    builders = {}
    for addr, data in blanked:
        for region, at, chunk in _regions(target, addr, data):
            builder = builders.get(region)
            if builder is None:
                builder = builders[region] = region.flash.get_flash_builder()
                builder.log_performance = False
            builder.add_data(at, list(chunk))
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
    done = 0.0
    for b in ordered:
        share = b.buffered_data_size / total
        b.program(progress_cb=scaled(on_program, done, share), smart_flash=True, keep_unwritten=False)
        done += share
    # The vector table, last, onto its erased page (the builder erased the sector or found the page erased).
    current = read_range(target, head_addr, head_len)
    if current != head:
        flash = target.memory_map.get_region_for_address(head_addr).flash
        if current != b"\xff" * head_len:
            flash.init(flash.Operation.ERASE)
            try:
                flash.erase_sector(flash.get_sector_info(head_addr).base_addr)
            finally:
                flash.uninit()
        flash.init(flash.Operation.PROGRAM)
        try:
            flash.program_page(head_addr, list(head))
        finally:
            flash.uninit()
    on_program(1.0)


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
