"""What the chip's flash holds, sector by sector, read through any reader (pyOCD on a board, bytes in a test).

The VESC flash map (vesc-stm32.md): app vector table and code (sectors 0, 3-7), config pages (1-2), the update
buffer (8-10, a 6-byte header then the image) and the bootloader (11). `analyze()` reads only what it needs: the
vector table, the app sectors when the app can run (for the HW name and the CRC words), the config status words, the
buffer header (and the buffered image when uncompressed, for its HW name), the start of sector 11; sectors that only
need a blank/used answer go through `reader.is_blank`, which a chip reader answers with an on-chip CRC.

When the firmware in the chip answered over USB for itself (`Reported`: COMM_FW_VERSION with the chip's own UID, a
version that checks its CRC), it has already said what the app sectors would be read for: its HW name and version,
and that its CRC checks (bldc runs the check before it starts USB and again in a thread while it runs; a mismatch
loops in the fault blink or resets: bldc release_5_03 main.c:88-101, 238-254, 288; release_6_05 main.c:97-110,
279-295, 330). Then only its CRC flag, the starts of sectors 3-4, the buffer's header and the bootloader are read; a
sector no decision needs is looked at at both ends only (`state` "unknown" when both ends are erased: a running chip
is only read, and proving 128 KB blank costs 128 KB over SWD).
"""
from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .images import find_hw_name, identify_bootloader
from .images.bootloader import BootloaderInfo
from .images.version import version_from_code
from .knowledge.checksums import crc16_xmodem, stm32_crc32
from .knowledge.flash import (
    APP_MAX_SIZE_5,
    APP_MAX_SIZE_6,
    BOOTLOADER_BASE,
    BUFFER_BASE,
    COMPRESSED_SIZE_MARK,
    CRC_FLAG_ADDR,
    FLASH_BASE,
    FLASH_END,
    SECTORS,
    UPDATE_MAX_SIZE,
    in_ram,
    sector_of,
)
from .knowledge.generations import (
    BY_KEY,
    LBM_IMAGE_INITIALIZED,
    SCRIPT_ROLES,
    Generation,
    generation_of,
    generation_of_app_size,
    parse_version,
)
from .knowledge.images_table import BOOTLOADER_SIZES
from .knowledge.synthetic import parse_marker

BOOTLOADER_READ = 0x2000  # the largest known bootloader is 5776 bytes
LOOK = 64  # bytes read at each end of a sector no decision needs, on a chip whose firmware answered for itself
CONFIG_STATUS = {0xFFFF: "erased", 0xEEEE: "receiving", 0x0000: "valid"}


@dataclass(frozen=True)
class Reported:
    """What the firmware running in this chip said of itself over USB (COMM_FW_VERSION; probes.flash_map checks
    that its UID is the chip's and that its version checks its own CRC)."""
    hw: str
    version: str


class FlashReader(Protocol):
    def read(self, addr: int, size: int) -> bytes: ...

    def is_blank(self, addr: int, size: int) -> bool: ...


class BytesReader:
    """A reader over a flash image in memory (a backup, a test's board.flash); counts what is read."""

    def __init__(self, flash: bytes):
        self.flash = flash
        self.bytes_read = 0

    def read(self, addr: int, size: int) -> bytes:
        self.bytes_read += size
        return bytes(self.flash[addr - FLASH_BASE:addr - FLASH_BASE + size])

    def is_blank(self, addr: int, size: int) -> bool:
        return self.read(addr, size).count(0xFF) == size


@dataclass
class SectorState:
    number: int
    address: int
    size: int
    role: str  # knowledge.generations.ROLES: app | config | buffer | bootloader | qml | lispbm | free
    state: str  # blank | data | unreadable
    detail: str = ""


@dataclass
class AppState:
    vector_valid: bool = False
    sp: int | None = None
    reset: int | None = None
    code_present: bool = False
    runnable: bool = False
    kind: str | None = None  # vesc | other | None (not runnable)
    hw: str | None = None
    version: str | None = None
    crc_state: str | None = None  # ok | first-boot | mismatch | none (no CRC words in this layout)
    crc_layout: int | None = None  # APP_MAX_SIZE of the layout whose words were checked
    partial: bool = False  # some app sectors blank behind a valid vector table (an interrupted update)
    # The official release it is (catalog, by sha256 with the CRC words/config reset): said in sector 0's detail
    # (flash.sectors), not as a fact of its own (the triage screen lists every fact; its snapshots would change).
    release: str | None = None


@dataclass
class BufferState:
    present: bool = False
    size: int | None = None
    compressed: bool = False
    crc_ok: bool | None = None
    hw: str | None = None


@dataclass
class BootloaderState:
    present: bool = False
    state: str = "blank"  # known | unknown-valid | blank | garbage
    name: str | None = None
    date: str | None = None
    compression: bool | None = None
    size: int | None = None  # bytes of the known image
    packages: str | None = None  # 6.06+ package storage in sector 11: "after-bootloader" | "alone" | None


@dataclass
class FlashMap:
    sectors: list[SectorState]
    app: AppState
    config: dict[int, str]  # sector -> erased | receiving | valid | unknown
    buffer: BufferState
    bootloader: BootloaderState
    generation: Generation | None = None  # the firmware generation whose flash map applies (None: unknown)
    lispbm_image: bool = False  # sector 8 holds a LispBM image (6.06+), not an update
    bytes_read: int = 0
    app_image: bytes = field(default=b"", repr=False)  # what was read of the app area (config sectors as 0xFF)
    buffer_image: bytes = field(default=b"", repr=False)

    def facts(self) -> dict[str, Any]:
        """The flash.* facts the decision graph reads (declared by the flash.map probe)."""
        return {
            "flash.readable": True,
            "flash.sectors": [asdict(s) for s in self.sectors],
            "flash.app_vector_valid": self.app.vector_valid,
            "flash.app_sp": self.app.sp,
            "flash.app_reset": self.app.reset,
            "flash.app_code_present": self.app.code_present,
            "flash.app_runnable": self.app.runnable,
            "flash.app_partial": self.app.partial,
            "flash.app_kind": self.app.kind,
            "flash.app_hw": self.app.hw,
            "flash.app_version": self.app.version,
            "flash.app_crc": self.app.crc_state,
            "flash.config_pages": {str(k): v for k, v in self.config.items()},
            "flash.buffer_present": self.buffer.present,
            "flash.buffer_size": self.buffer.size,
            "flash.buffer_compressed": self.buffer.compressed,
            "flash.buffer_crc_ok": self.buffer.crc_ok,
            "flash.buffer_hw": self.buffer.hw,
            "flash.bootloader_present": self.bootloader.present,
            "flash.bootloader_state": self.bootloader.state,
            "flash.bootloader_name": self.bootloader.name,
            "flash.bootloader_compression": self.bootloader.compression,
            "flash.packages": self.bootloader.packages,
            "flash.generation": self.generation.key if self.generation else None,
            "flash.lispbm_image": self.lispbm_image,
            "flash.bytes_read": self.bytes_read,
        }


FLASH_FACTS = tuple(FlashMap([], AppState(), {}, BufferState(), BootloaderState()).facts())


def script_sectors(facts: Mapping[str, Any]) -> list[int]:
    """From the flash.sectors fact: the sectors where the firmware's generation keeps LispBM code/image and QML data
    (knowledge.generations roles lispbm, qml) that hold data. The firmware loads them at every start."""
    return sorted(int(s["number"]) for s in facts.get("flash.sectors") or ()
                  if isinstance(s, dict) and s.get("state") == "data" and s.get("role") in SCRIPT_ROLES)


def _u32(data: bytes, offset: int = 0) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def analyze(reader: FlashReader, fw_version: str | None = None, reported: Reported | None = None,
            exact: bool = True, update_route: bool = False) -> FlashMap:
    """What the flash holds. `fw_version`: the version the running firmware reported (COMM_FW_VERSION), used for
    the generation's flash map when the image in flash does not tell it. `reported`: the running firmware spoke for
    itself (see the module's doc): what it said is not read again. `exact` false: the reader reads a chip that may
    be running (no on-chip check), so sectors no verdict needs are looked at at both ends, not proven blank.
    `update_route`: the verdict reasons on the update in the buffer (rules/triage.yaml update-look: its CRC), so its
    image is read even when the firmware spoke for itself."""
    states: dict[int, str] = {}
    app, app_image = _analyze_app(reader, states, reported)
    brief = reported is not None and app.crc_state == "ok" and not app_image  # the app was not read
    config = {}
    for number in (1, 2):
        sector = SECTORS[number]
        status = struct.unpack("<H", reader.read(sector.address, 2))[0]
        config[number] = CONFIG_STATUS.get(status, "unknown")
        if status != 0xFFFF:
            states[number] = "data"
    buffer, buffer_image = _analyze_buffer(reader, states, image=update_route or not brief)
    # A LispBM image (6.06+) ends sector 8 with its mark; the constant heap at 0x08080000 is then no update unless
    # the header's CRC checks (an update whose image fills sector 8 was read and checked already).
    lispbm = not buffer.crc_ok and _u32(reader.read(SECTORS[8].end - 4, 4)) == LBM_IMAGE_INITIALIZED
    if lispbm and buffer.present and not _buffer_crc_ok(reader, buffer):
        buffer, buffer_image = BufferState(), b""
    generation = _generation(app, fw_version, lispbm)
    bootloader = _analyze_bootloader(reader, states)
    if generation is not None and generation.package_sector == 11:
        _packages_in_sector_11(reader, bootloader)
    roles = _roles(generation, buffer)
    if hasattr(reader, "prefetch_blank"):  # a chip reader asks about all the sectors left in one on-chip run
        reader.prefetch_blank([(s.address, s.size) for s in SECTORS if states.get(s.number) is None])
    sectors = []
    for sector in SECTORS:
        state = states.get(sector.number)
        if state is None and (brief or not exact):
            state = _looked_state(reader, sector.number)
        elif state is None:
            state = "blank" if reader.is_blank(sector.address, sector.size) else "data"
        sectors.append(SectorState(sector.number, sector.address, sector.size, roles[sector.number], state,
                                   _detail(sector.number, app, config, buffer, bootloader, state, generation,
                                           lispbm and not buffer.present)))
    # The VESC layout: code from 0x0800C000 fills sectors 3 and 4 in every release (>= 199 KB). A valid vector
    # table in front of a blank one is an update cut short, not a firmware.
    if app.vector_valid and app.reset is not None and app.reset >= SECTORS[3].address \
            and any(s.state == "blank" for s in sectors if s.number in (3, 4)):
        app.partial = True
    fmap = FlashMap(sectors, app, config, buffer, bootloader, generation, lispbm and not buffer.present,
                    app_image=app_image, buffer_image=buffer_image)
    fmap.bytes_read = getattr(reader, "bytes_read", 0)
    return fmap


def _ends_used(reader: FlashReader, start: int, end: int) -> bool:
    """Data at either end of [start, end) (a bounded look: False proves nothing)."""
    return reader.read(start, LOOK) != b"\xff" * LOOK or reader.read(end - LOOK, LOOK) != b"\xff" * LOOK


def _looked_state(reader: FlashReader, number: int) -> str:
    """A sector's state where reading it whole to prove it blank is not worth it: sectors 3-4 exactly (an erased one
    behind a valid vector table is an update cut short: app-missing), any other by a look at both ends."""
    sector = SECTORS[number]
    if number in (3, 4):
        return "data" if _used(reader, sector.address, sector.end) else "blank"
    return "data" if _ends_used(reader, sector.address, sector.end) else "unknown"


def _used(reader: FlashReader, start: int, end: int) -> bool:
    """Whether [start, end) holds data, exactly: a look at its start first (code starts there), then all of it."""
    return reader.read(start, LOOK) != b"\xff" * LOOK or not reader.is_blank(start, end - start)


def _app_as_reported(reader: FlashReader, app: AppState, states: dict[int, str], reported: Reported) -> bool:
    """The app as the firmware running it reported itself, reading only its CRC words and the starts of sectors 3-4
    (a blank one there is an update cut short). False when its CRC flag is not the one bldc writes at its first
    boot, before it starts USB (release_5_03 flash_helper.c:273-303): then the app is read as usual."""
    layout = APP_MAX_SIZE_6 if (parse_version(reported.version) or (0, 0)) >= (6, 0) else APP_MAX_SIZE_5
    flag_addr = CRC_FLAG_ADDR[layout]
    if _u32(reader.read(flag_addr, 4)) != 0:
        return False
    states[sector_of(flag_addr).number] = "data"
    for number in (3, 4):
        sector = SECTORS[number]
        states[number] = "data" if _used(reader, sector.address, sector.end) else "blank"
    app.hw, app.kind, app.version = reported.hw, "vesc", reported.version
    app.crc_state, app.crc_layout = "ok", layout  # it answers on USB, so its own check passed (module doc)
    return True


def _analyze_app(reader: FlashReader, states: dict[int, str],
                 reported: Reported | None = None) -> tuple[AppState, bytes]:
    """The app's state, and what was read of the app area (empty when nothing can run, or when the firmware spoke
    for itself)."""
    app = AppState()
    vectors = reader.read(FLASH_BASE, 8)
    app.sp, app.reset = _u32(vectors), _u32(vectors, 4)
    app.vector_valid = in_ram(app.sp) and bool(app.reset & 1) and FLASH_BASE <= app.reset < FLASH_END
    if vectors != b"\xff" * 8:
        states[0] = "data"
    if app.vector_valid:
        entry = (app.reset & ~1)
        app.code_present = reader.read(entry, 16) != b"\xff" * 16
    app.runnable = app.vector_valid and app.code_present
    if not app.runnable or (reported is not None and _app_as_reported(reader, app, states, reported)):
        return app, b""
    # Read the app sectors once: their bytes say both what they hold and whether they are blank (firmware that can
    # run means no on-chip check, so a blank check would read each sector a second time). The config sectors stay
    # 0xFF in the copy, so addresses line up.
    image = bytearray(b"\xff" * (SECTORS[7].end - FLASH_BASE))
    for number in (0, 3, 4, 5, 6, 7):
        sector = SECTORS[number]
        content = reader.read(sector.address, sector.size)
        blank = number != 0 and content.count(0xFF) == len(content)
        states[number] = "blank" if blank else "data"
        image[sector.address - FLASH_BASE:sector.end - FLASH_BASE] = content
    data = bytes(image).rstrip(b"\xff")
    app.hw = find_hw_name(data)
    marker = parse_marker(bytes(data))
    if marker and marker.get("version"):
        app.version = str(marker["version"])
    elif app.hw:
        app.version = version_from_code(data)
    app.kind = "vesc" if app.hw else "other"
    app.crc_state, app.crc_layout = _crc_state(bytes(image), states)
    _name_release(app, data)
    return app, data


def _name_release(app: AppState, data: bytes) -> None:
    """Name the official release the app is (a few sha256 over the copy already read: no extra flash read)."""
    from .catalog.releases import match_release
    from .errors import InputError

    try:
        match = match_release(data, erased_tail=True)
    except InputError:  # a broken VESCDOCTOR_CATALOG must not stop a diagnosis
        return
    if match is not None and match.release.kind == "firmware":
        app.release = match.describe()
        app.version = match.release.version


def _crc_state(image: bytes, states: dict[int, str]) -> tuple[str, int | None]:
    """Check the CRC words the firmware keeps (FW >= 3.55), in every release layout whose words lie in used flash.

    Which layout the running firmware uses is not written anywhere: a 5.03 written over a 6.x keeps the 6.x tail
    (and its CRC words) in sector 7, and the 5.03 checks only its own words. So "ok" (or "first-boot") when any
    layout checks out, "mismatch" only when a layout holds a finished CRC (flag 0) and none checks out.
    """
    results: list[tuple[str, int]] = []
    for layout, sector in ((APP_MAX_SIZE_5, 6), (APP_MAX_SIZE_6, 7)):
        if states.get(sector) != "data":
            continue
        flag_offset = layout - 8
        flag, crc = _u32(image, flag_offset), _u32(image, flag_offset + 4)
        if flag == 0xFFFFFFFF and crc == 0xFFFFFFFF:
            results.append(("first-boot", layout))
        elif flag == 0:
            covered = image[0:0x4000] + image[0xC000:flag_offset + 8]
            results.append(("ok" if stm32_crc32(covered) == 0 else "mismatch", layout))
    for state in ("ok", "first-boot", "mismatch"):
        for found, layout in results:
            if found == state:
                return found, layout
    return "none", None


def _generation(app: AppState, fw_version: str | None, lispbm: bool) -> Generation | None:
    """The generation whose flash map applies: the app's version, else the VESC's reply, else the app's layout;
    a LispBM image in sector 8 exists only from 6.06 on."""
    generation = generation_of(app.version) or generation_of(fw_version) or generation_of_app_size(app.crc_layout)
    if lispbm and (generation is None or generation.key == "6.00-6.05"):
        generation = BY_KEY["6.06+"]
    return generation


def _roles(generation: Generation | None, buffer: BufferState) -> list[str]:
    """Each sector's role: the generation's (the plain VESC map when unknown); an update present takes the sectors
    it covers back as the buffer."""
    roles = list(generation.roles) if generation else [s.role for s in SECTORS]
    if buffer.present and buffer.size:
        for number in (8, 9, 10):
            if SECTORS[number].address < BUFFER_BASE + 6 + buffer.size:
                roles[number] = "buffer"
    return roles


def _packages_in_sector_11(reader: FlashReader, boot: BootloaderState) -> None:
    """6.06+: the package storage writes into sector 11 (release_6_06 flash_helper.c:492-533). Tell a bootloader
    with package data after it from package data alone (its wipe erases the whole sector, bootloader included)."""
    if boot.state == "known":
        end = BOOTLOADER_BASE + ((boot.size or BOOTLOADER_READ) + 3 & ~3)
        if not reader.is_blank(end, FLASH_END - end):
            boot.packages = "after-bootloader"
    elif boot.state == "garbage":
        boot.packages = "alone"


def _buffer_crc_ok(reader: FlashReader, buffer: BufferState) -> bool:
    """Whether the buffer's header CRC covers the bytes behind it (compressed ones included)."""
    header = reader.read(BUFFER_BASE, 6)
    return crc16_xmodem(reader.read(BUFFER_BASE + 6, buffer.size or 0)) == struct.unpack(">IH", header)[1]


def _analyze_buffer(reader: FlashReader, states: dict[int, str], image: bool = True) -> tuple[BufferState, bytes]:
    """The update buffer from its header; the image behind it read (for its CRC16 and HW name) only when `image`:
    not when the firmware running in the chip named the board's hardware itself (the buffer's HW name is a hint the
    repair asks for when nothing else names the board, fixes.board_hw)."""
    header = reader.read(BUFFER_BASE, 6)
    buffer = BufferState()
    if header == b"\xff" * 6:
        return buffer, b""
    states[8] = "data"
    raw_size, crc = struct.unpack(">IH", header)
    buffer.compressed = raw_size >> 24 == COMPRESSED_SIZE_MARK
    size = raw_size & 0xFFFFFF if buffer.compressed else raw_size
    if not 0 < size <= 3 * SECTORS[8].size - 6:
        return buffer, b""
    buffer.present, buffer.size = True, size
    if buffer.compressed or size > UPDATE_MAX_SIZE or not image:
        return buffer, b""  # compressed: the bootloader's job to unpack; its HW name is not readable here
    data = reader.read(BUFFER_BASE + 6, size)
    for number in (9, 10):  # the sectors the image fills are seen already
        sector = SECTORS[number]
        inside = data[sector.address - BUFFER_BASE - 6:sector.end - BUFFER_BASE - 6]
        if inside.count(0xFF) != len(inside) or len(inside) == sector.size:
            states[number] = "blank" if inside.count(0xFF) == sector.size else "data"
    buffer.crc_ok = crc16_xmodem(data) == crc
    buffer.hw = find_hw_name(data)
    return buffer, data


def _bootloader_head(reader: FlashReader) -> tuple[bytes, BootloaderInfo | None]:
    """Sector 11's start and the known bootloader it holds: the largest known image's bytes first (their sha256
    names it), the rest of BOOTLOADER_READ only when they do not (an unknown or synthetic one)."""
    head = reader.read(BOOTLOADER_BASE, BOOTLOADER_SIZES[0])
    known = identify_bootloader(head)
    if known is None:
        head += reader.read(BOOTLOADER_BASE + len(head), BOOTLOADER_READ - len(head))
        known = identify_bootloader(head)
    return head, known


def _analyze_bootloader(reader: FlashReader, states: dict[int, str]) -> BootloaderState:
    head, known = _bootloader_head(reader)
    boot = BootloaderState()
    if head == b"\xff" * len(head):
        return boot  # the rest of the sector is checked blank or not with the others
    states[11] = "data"
    if known:
        boot.present, boot.state, boot.name, boot.date, boot.compression = (True, "known", known.name, known.date,
                                                                             known.compression)
        boot.size = known.size
        return boot
    sp, reset = _u32(head), _u32(head, 4)
    if in_ram(sp) and reset & 1 and BOOTLOADER_BASE <= reset < FLASH_END \
            and reader.read(reset & ~1, 16) != b"\xff" * 16:
        boot.present, boot.state = True, "unknown-valid"
    else:
        boot.state = "garbage"  # no vector table, or one pointing at erased flash (a write cut short)
    return boot


def _detail(number: int, app: AppState, config, buffer: BufferState, boot: BootloaderState, state: str,
            generation: Generation | None = None, lispbm: bool = False) -> str:
    if state == "blank":
        return "erased"
    if state == "unknown":
        return "erased at both ends, not read further (no verdict depends on it)"
    if number == 8 and lispbm:
        return "LispBM image (6.06+ constant heap), not an update"
    if number == 0:
        if not app.vector_valid:
            return "no valid vector table"
        return f"app: {app.kind or 'not runnable'}" + (f" HW {app.hw}" if app.hw else "") \
            + (f", {app.release.split(',')[0]}" if app.release else "")
    if number in (1, 2):
        return f"config page: {config.get(number, 'unknown')}"
    if number == 8 and buffer.present:
        return f"update image {buffer.size} bytes" + (" (compressed)" if buffer.compressed else "")
    if number == 11:
        known = f"bootloader {boot.name}" + (f" ({boot.date})" if boot.date else "")
        if boot.packages == "after-bootloader":
            known += " + package data after it"
        if boot.packages == "alone":
            return "package data, no bootloader (the 6.06+ package storage shares sector 11)"
        return {"known": known, "unknown-valid": "a bootloader (not a known image)",
                "garbage": "not a bootloader (invalid vector table)"}.get(boot.state, boot.state)
    if generation is not None and number in generation.notes and not buffer.present:
        return generation.notes[number]
    return ""
