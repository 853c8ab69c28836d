"""The board's boot model (shared/spec/board.md, "What the board does"): what a board runs, shows and enumerates.

Pure logic over a Board. evaluate() has no side effects; power_on_reset() also applies what the firmware does to
flash on its first boot (bldc flash_helper.c `flash_helper_verify_flash_memory`):
- flag word != 0 (0xFFFFFFFF in a released image): program the flag to 0, compute the STM32 CRC over sector 0 and
  0x0800C000 up to the CRC word (flag included), program the CRC word, reset. Programming only clears bits, so a
  word that was not erased ends up as old AND new, as on the chip. A write-protected sector makes the write fail:
  the firmware then reports FAULT_CODE_FLASH_CORRUPTION (fast red blinking), as it does on a real board.
- flag 0: the CRC over the same range including the CRC word must be 0 (residue); otherwise fast red, no USB.
Which CRC words an image has is a property of its build (APP_MAX_SIZE), not of flash; see crc_layout().
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from ..knowledge.checksums import stm32_crc32
from ..knowledge.flash import (
    APP_MAX_SIZE_5,
    APP_MAX_SIZE_6,
    BUFFER_BASE,
    CCM_BASE,
    CCM_SIZE,
    CRC_FLAG_ADDR,
    FLASH_BASE,
    FLASH_SIZE,
    SRAM_BASE,
    SRAM_SIZE,
    sector_of,
)
from ..knowledge.synthetic import parse_marker
from . import firmware_run
from .board import Board

RUNNING = ("off", "dfu", "vesc", "crc-fault", "other-app", "not-runnable", "firmware-crash")

VESC_VID, VESC_PID = 0x0483, 0x5740
DFU_VID, DFU_PID = 0x0483, 0xDF11
APP_REGION_END = BUFFER_BASE  # the app never reaches the new-app buffer (sectors 8-10)
CODE_START = 0x0800C000
SECTOR0_END = 0x08004000


@dataclass(frozen=True)
class UsbIdentity:
    """What the target side shows on USB: ids, strings and kind (the bench builds the descriptors from it, as
    sim.usb_descriptors.UsbDeviceSpec; the debug probe's own device belongs to the SWD side)."""

    vid: int
    pid: int
    manufacturer: str
    product: str
    serial: str
    kind: str  # "vesc-cdc" | "dfu"


@dataclass(frozen=True)
class VescIdentity:
    """What the running firmware says about itself in its COMM_FW_VERSION reply (bldc comm/commands.c)."""

    hw_name: str
    fw_major: int
    fw_minor: int
    uuid: bytes  # 12 bytes: the chip's unique ID (STM32_UUID_8)
    pairing_done: int = 0  # >= 3.48
    test_version: int = 0  # >= 5.00; 0 = release
    hw_type: int = 0  # >= 5.02: 0 VESC, 1 BMS, 2 custom module
    custom_config_num: int = 0  # >= 5.02
    phase_filters: int = 0  # >= 5.03 with qmlui_hw, qmlui_app; >= 6.00 nrf_flags, FW name; >= 6.05 HW config CRC
    qmlui_hw: int = 0
    qmlui_app: int = 0
    nrf_flags: int = 0
    fw_name: str = ""
    hw_config_crc: int = 0x5EC0C0DE
    fault_code: int = 0  # the active fault (mc_interface_get_fault()) its COMM_GET_VALUES reply carries

    @property
    def version(self) -> str:
        return f"{self.fw_major}.{self.fw_minor:02d}"

    def version_reply(self) -> bytes:
        """The COMM_FW_VERSION reply payload (command byte 0 first), with the fields this version sends: bldc
        release_5_03 commands.c:206-265 (phase filters, QML flags from 5.03), release_6_00 comm/commands.c:225-290
        (nrf flags, FW name), release_6_05 comm/commands.c:231-291 (u32 HW config CRC); older fields per
        ../shared/reference/vesc-stm32.md (Packet protocol)."""
        ver = (self.fw_major, self.fw_minor)
        out = bytearray([0, self.fw_major, self.fw_minor])
        if ver >= (3, 7):
            out += self.hw_name.encode("ascii") + b"\x00"
        if ver >= (3, 9):
            out += self.uuid
        if ver >= (3, 48):
            out.append(self.pairing_done)
        if ver >= (5, 0):
            out.append(self.test_version)
        if ver >= (5, 2):
            out += bytes([self.hw_type, self.custom_config_num])
        if ver >= (5, 3):
            out += bytes([self.phase_filters, self.qmlui_hw, self.qmlui_app])
        if ver >= (6, 0):
            out.append(self.nrf_flags)
            out += self.fw_name.encode("ascii") + b"\x00"
        if ver >= (6, 5):
            out += self.hw_config_crc.to_bytes(4, "big")
        return bytes(out)


@dataclass
class BootState:
    running: str  # one of RUNNING
    led: str  # an answer code of the `led` question: blue-only, green, red-blink, red-fast, off
    vesc: VescIdentity | None  # set when VESC firmware runs and talks
    usb_devices: list[UsbIdentity] = field(default_factory=list)
    serial_error: str | None = None  # "EACCES" | "EBUSY": opening the VESC's port fails so (host side)
    reason: str = ""  # one line for a test or a transcript
    app_hw: str | None = None  # HW name of the image at 0x08000000 when it is VESC firmware
    crc_flag_addr: int | None = None  # where the image keeps its CRC flag word (None: no CRC check)
    first_boot: bool = False  # the next power-on writes the CRC words (evaluate() only)


def unique_id(board: Board) -> bytes:
    """The chip's 96-bit unique ID (0x1FFF7A10): wafer X/Y (u16 each), wafer number, 7-character lot number.

    Derived from the board's HW only, so it survives flash changes, copies and moves of the board directory, and
    every run of a test sees the same UUID.
    """
    digest = hashlib.sha256(f"vescdoctor-sim-uid:{board.config.hw}".encode()).digest()
    x, y = 0x10 + digest[0] % 0x40, 0x10 + digest[1] % 0x40
    lot = bytes(0x30 + b % 10 if i else 0x41 + b % 26 for i, b in enumerate(digest[3:10]))
    return struct.pack("<HHB", x, y, 1 + digest[2] % 25) + lot


def dfu_serial(uid: bytes) -> str:
    """The serial number the STM32 system bootloader builds from the unique ID (12 hex digits)."""
    w0, w1, w2 = struct.unpack("<3I", uid)
    return f"{(w0 + w2) & 0xFFFFFFFF:08X}{w1 >> 16:04X}"


def find_hw_name(data: bytes) -> str | None:
    """The HW name inside firmware bytes (vescdoctor.images does the work)."""
    from ..images import find_hw_name as images_find_hw_name

    return images_find_hw_name(data)


def _flash_view(board: Board) -> bytes:
    """Flash as the CPU reads it: injected stuck bytes read back their stuck value."""
    stuck = board.config.faults.get("stuck_bits") or []
    if not stuck:
        return bytes(board.flash)
    view = bytearray(board.flash)
    for bit in stuck:
        view[bit["addr"] - FLASH_BASE] = bit["value"]
    return bytes(view)


def _word(flash: bytes, addr: int) -> int:
    return struct.unpack_from("<I", flash, addr - FLASH_BASE)[0]


def runnable(flash: bytes) -> tuple[bool, str]:
    """Rule 3: SP in SRAM or CCM, reset vector odd and pointing at flash that is not erased."""
    sp, pc = _word(flash, FLASH_BASE), _word(flash, FLASH_BASE + 4)
    if not (SRAM_BASE <= sp <= SRAM_BASE + SRAM_SIZE or CCM_BASE <= sp <= CCM_BASE + CCM_SIZE):
        return False, f"initial SP 0x{sp:08X} is not in SRAM or CCM"
    target = pc & ~1
    if not pc & 1 or not FLASH_BASE <= target <= FLASH_BASE + FLASH_SIZE - 4:
        return False, f"reset vector 0x{pc:08X} is not an odd address in flash"
    if flash[target - FLASH_BASE:target - FLASH_BASE + 4] == b"\xff\xff\xff\xff":
        return False, f"reset vector 0x{pc:08X} points at erased flash"
    return True, "vector table valid"


def _parse_version(text: object) -> tuple[int, int] | None:
    try:
        major, minor = str(text).split(".")
        return int(major), int(minor)
    except ValueError:
        return None


def firmware_version(app: bytes) -> tuple[int, int] | None:
    """The version of the firmware in the app region: declared by a synthetic marker, or looked up by the image
    module. A flash readback differs from the release file in its CRC words and its length, so the file is
    rebuilt for each release layout (CRC words back to 0xFFFFFFFF) and for the plain one (erased tail cut)."""
    marker = parse_marker(app)
    if marker and marker.get("kind") == "firmware":
        return _parse_version(marker.get("version"))
    from ..images import identify

    candidates = [app.rstrip(b"\xff")]
    for size in (APP_MAX_SIZE_5, APP_MAX_SIZE_6):
        candidates.append(app[:size - 8] + b"\xff" * 8)
    for data in candidates:
        version = _parse_version(identify(data, base=FLASH_BASE).version)
        if version:
            return version
    return None


def crc_layout(app: bytes, version: tuple[int, int] | None) -> int | None:
    """Where the running image keeps its CRC flag word (the CRC word follows), or None for no CRC check.

    What decides it is the image's build (board.md rule 4: 393208-byte images at 0x0805FFF0, 524280-byte ones at
    0x0807FFF0, others none). A synthetic image declares its size; for a known version the release layout of that
    version applies; otherwise flash decides: code past 0x0805FFF0 or a written 6.x flag means the 6.x layout.
    """
    marker = parse_marker(app)
    if marker and marker.get("kind") == "firmware" and isinstance(marker.get("size"), int):
        return CRC_FLAG_ADDR.get(marker["size"])
    if version is not None:
        if version >= (6, 0):
            return CRC_FLAG_ADDR[APP_MAX_SIZE_6]
        return CRC_FLAG_ADDR[APP_MAX_SIZE_5] if version >= (3, 55) else None
    flag6 = CRC_FLAG_ADDR[APP_MAX_SIZE_6]
    past5 = app[CRC_FLAG_ADDR[APP_MAX_SIZE_5] + 8 - FLASH_BASE:flag6 - FLASH_BASE]
    if past5.count(0xFF) != len(past5) or _word(app, flag6) == 0:
        return flag6
    return CRC_FLAG_ADDR[APP_MAX_SIZE_5]


def image_crc(flash: bytes, flag_addr: int, *, include_crc_word: bool) -> int:
    """The firmware's CRC: sector 0, then 0x0800C000 up to the CRC word (or through it, for the residue check)."""
    end = flag_addr + (8 if include_crc_word else 4) - FLASH_BASE
    return stm32_crc32(flash[:SECTOR0_END - FLASH_BASE] + flash[CODE_START - FLASH_BASE:end])


def _assumed_version(flag_addr: int | None) -> tuple[int, int]:
    """A version to answer with when the image cannot be identified: the last of its CRC layout's generation."""
    if flag_addr == CRC_FLAG_ADDR[APP_MAX_SIZE_6]:
        return 6, 0
    return (5, 3) if flag_addr is not None else (3, 40)


def _usb_vesc(version: tuple[int, int]) -> UsbIdentity:
    # Every VESC has the same USB serial, the ChibiOS kernel version: "301" up to FW 4.02, "304" from 5.00
    # (bldc comm_usb_serial.c:28-29, 165-171; the ChibiOS 3.0.5 update dd16cb77; vesc-stm32.md, checked upstream).
    serial = "301" if version < (5, 0) else "304"
    return UsbIdentity(VESC_VID, VESC_PID, "STMicroelectronics", "ChibiOS/RT Virtual COM Port", serial, "vesc-cdc")


def _boot(board: Board, *, apply: bool) -> BootState:
    config = board.config
    if config.power == "off":
        return BootState("off", "off", None, reason="no power: nothing runs, nothing on USB")
    usb_data = config.usb == "data"
    if config.boot0 == "high":
        devices = [UsbIdentity(DFU_VID, DFU_PID, "STMicroelectronics", "STM32  BOOTLOADER",
                                 dfu_serial(unique_id(board)), "dfu")] if usb_data else []
        return BootState("dfu", "blue-only", None, devices,
                         reason="BOOT0 high: the system bootloader runs" + ("" if usb_data else f", usb {config.usb}"))

    flash = _flash_view(board)
    ok, why = runnable(flash)
    if not ok:
        return BootState("not-runnable", "blue-only", None, reason=f"no runnable application: {why}")
    app = flash[:APP_REGION_END - FLASH_BASE]
    hw = find_hw_name(app)
    if hw is None:
        return BootState("other-app", "blue-only", None, reason="a runnable application without a VESC HW name")

    own_hw = hw == config.hw
    version = firmware_version(app)
    flag_addr = crc_layout(app, version)
    first_boot = False
    if flag_addr is not None:
        flag = _word(flash, flag_addr)
        if flag != 0:
            first_boot = True
            if apply:
                fault = _first_boot_write(board, flag_addr)
                if fault:
                    return _crc_fault(hw, own_hw, flag_addr, fault)
                flash = _flash_view(board)
        if not first_boot or apply:
            residue = image_crc(flash, flag_addr, include_crc_word=True)
            if residue != 0:
                return _crc_fault(hw, own_hw, flag_addr, f"app CRC check failed at boot (residue 0x{residue:08X})")

    crashed = firmware_run.crash(board, flash, version)
    if crashed is not None:  # board.md "More board fields": no VESC on USB, LEDs blue-only
        return BootState("firmware-crash", "blue-only", None,
                         reason=f"VESC firmware for HW {hw} does not run: {crashed} ({config.run_cause})",
                         app_hw=hw, crc_flag_addr=flag_addr)
    answered = version or _assumed_version(flag_addr)
    identity = VescIdentity(hw, answered[0], answered[1], unique_id(board), fault_code=config.fault_code)
    devices = [_usb_vesc(answered)] if usb_data else []
    serial_error = {"no-permission": "EACCES", "port-busy": "EBUSY"}.get(config.host) if devices else None
    notes = [f"VESC firmware {identity.version} for HW {hw} runs"]
    if version is None:
        notes.append(f"version not identifiable, answering {identity.version}")
    if first_boot:
        notes.append("first boot: CRC words written" if apply else "first boot: the next power-on writes the CRC")
    if not own_hw:
        notes.append(f"built for HW {hw}, the board is {config.hw}: its LEDs stay dark")
    if not usb_data:
        notes.append(f"usb {config.usb}: nothing enumerates")
    elif serial_error:
        notes.append(f"host {config.host}: opening the port fails with {serial_error}")
    if config.fault_code:
        notes.append(f"active fault code {config.fault_code}: the red LED blinks it")
    led = ("red-blink" if config.fault_code else "green") if own_hw else "blue-only"
    return BootState("vesc", led, identity, devices, serial_error, "; ".join(notes),
                     app_hw=hw, crc_flag_addr=flag_addr, first_boot=first_boot and not apply)


def _crc_fault(hw: str, own_hw: bool, flag_addr: int, why: str) -> BootState:
    # The fault loop blinks the red LED of the HW the firmware was built for: dark on other hardware.
    return BootState("crc-fault", "red-fast" if own_hw else "blue-only", None,
                     reason=f"{why}: FAULT_CODE_FLASH_CORRUPTION before USB starts", app_hw=hw,
                     crc_flag_addr=flag_addr)


def _program_word(board: Board, addr: int, value: int) -> bool:
    """FLASH_ProgramWord as the firmware does it: refused on a write-protected sector, else bits only cleared."""
    if sector_of(addr).number in board.config.option_bytes.wrp:
        return False
    offset = addr - FLASH_BASE
    old = struct.unpack_from("<I", board.flash, offset)[0]
    struct.pack_into("<I", board.flash, offset, old & value)
    return True


def _first_boot_write(board: Board, flag_addr: int) -> str | None:
    """Write flag 0 and the CRC as the firmware does on its first boot; a one-line fault, or None."""
    if not _program_word(board, flag_addr, 0):
        return f"writing the CRC flag at 0x{flag_addr:08X} failed (sector write-protected)"
    crc = image_crc(_flash_view(board), flag_addr, include_crc_word=False)
    if not _program_word(board, flag_addr + 4, crc):
        return f"writing the CRC at 0x{flag_addr + 4:08X} failed (sector write-protected)"
    return None


def evaluate(board: Board) -> BootState:
    """What the board does now, without touching it."""
    return _boot(board, apply=False)


def power_on_reset(board: Board) -> BootState:
    """Power the board on (or reset it) and let it run: on a first boot the firmware writes its CRC words into
    board.flash, then resets and runs. The caller saves the board when the change should persist."""
    return _boot(board, apply=True)
