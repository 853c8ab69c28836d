"""Firmware-like and bootloader-like images with the real layout, so tests that must always run have realistic data.

A generated firmware is laid out as the VESC release files are (vesc-stm32.md, MANIFEST.md):
- 0x0000: vector table, SP 0x20000800, reset 0x0800C001, handlers pointing into the code; a little code after it;
- sectors 1-2 (0x4000..0xBFFF): the config gap, 0xFF as FW 3.x-5.03 files hold it or 0x00 as 6.x files do;
- 0xC000: code (seeded filler) with literal pools, among them the two that name the HW in real builds:
  COMM_FW_VERSION's [&HW_NAME][0x1FFF7A10] and the terminal's [&"Hardware: %s"] beside &HW_NAME;
- constant data: C strings aligned to 4, the HW name among them. Its place varies as real linkers vary it:
  "reference" (between "Firmware: %d.%d" and "Hardware: %s", as in the 5.03 releases), "moved" (elsewhere),
  "merged" (no string of its own: tail-merged into "org.vesc.<HW>", FW >= 5 only);
- a .data image, then 0xFF up to the CRC flag and CRC words (0xFFFFFFFF each) for the release sizes
  393208 (FW 3.55-5.03) and 524280 (FW >= 6.00); the "small" size has no CRC words and is fast to program.
A generated bootloader is linked at 0x080E0000, 4-6 KB. Both carry a marker block (vescdoctor.knowledge.synthetic)
declaring what real images can only be looked up by: version, compression support. Same arguments, same bytes.
"""
from __future__ import annotations

import functools
import random
import re
import struct

from ..knowledge.checksums import crc16_xmodem
from ..knowledge.flash import APP_MAX_SIZE_5, APP_MAX_SIZE_6, BOOTLOADER_BASE, FLASH_BASE, UID_ADDR, UPDATE_MAX_SIZE
from ..knowledge.synthetic import covering, make_marker

STACK_TOP = 0x20000800  # every release image and bootloader
RESET_VECTOR = 0x0800C001
CODE_OFFSET = 0xC000  # sector 3
CONFIG_GAP = (0x4000, 0xC000)  # sectors 1-2
N_VECTORS = 98  # 16 system exceptions + 82 interrupts on the F405
SMALL_SIZE = 0x11000  # sector 0, the gap and 20 KiB of code: no CRC words
SIZES = {"release5": APP_MAX_SIZE_5, "release6": APP_MAX_SIZE_6, "small": SMALL_SIZE}
LAYOUTS = ("reference", "moved", "merged")
BUFFER_CAPACITY = 3 * 128 * 1024  # sectors 8-10
COMPRESSED_MARK = 0xCC << 24

_VERSION_RE = re.compile(r"(\d{1,2})\.(\d{2,3})")  # 3.102: Ackmaniac's three-digit minors

# Strings of the kind VESC firmware holds (terminal, faults, USB); the generator picks and shuffles them.
_STRINGS = (
    "Failed: %d\n", "hw_status", "faults", "foc_state", "UUID: %02X %02X %02X %02X %02X %02X %02X %02X %02X %02X "
    "%02X %02X", "The following faults were registered since start:\n", "No faults registered since startup\n",
    "Fault            : %s", "Current          : %.1f", "Current filtered : %.1f", "Voltage          : %.2f",
    "Duty             : %.2f", "RPM              : %.1f", "Tacho            : %i", "Cycles running   : %i",
    "TIM duty         : %i", "TIM val samp     : %i", "TIM current samp : %i", "TIM top          : %i",
    "Comm step        : %i", "Temperature      : %.2f", "FAULT_CODE_NONE", "FAULT_CODE_OVER_VOLTAGE",
    "FAULT_CODE_UNDER_VOLTAGE", "FAULT_CODE_DRV", "FAULT_CODE_ABS_OVER_CURRENT", "FAULT_CODE_OVER_TEMP_FET",
    "FAULT_CODE_OVER_TEMP_MOTOR", "FAULT_CODE_FLASH_CORRUPTION", "Invalid argument(s).\n",
    "Setting timeout to %d ms\n", "Command not found: %s\n", "Valid commands are:\n", "help", "ping", "pong\n",
    "stop", "last_adc_duty", "rpm_dep", "can_devs", "uptime", "Uptime: %.2f s\n", "mem", "threads",
    "ChibiOS/RT Virtual COM Port", "STMicroelectronics", "main", "idle", "timer", "comm_usb", "packet process",
    "mcpwm_foc", "Motor detection failed\n", "Flash erase failed: %d\n", "encoder", "hall_analyze",
)
_PERIPHERALS = (0x40023C00, 0x40023800, 0x40020000, 0x40020400, 0x40020800, 0x40010000, 0x40012000,
                0x40007000, 0xE000ED00, 0xE000E100, 0x40000000, 0x40026400)


def parse_version(text: str) -> tuple[int, int]:
    """"5.03" -> (5, 3). VESC versions have a two-digit minor (third-party 3.102 has three)."""
    match = _VERSION_RE.fullmatch(text)
    if not match:
        raise ValueError(f"version {text!r}: expected MAJOR.MINOR with two minor digits (three for third-party "
                         "3.102), e.g. \"5.03\"")
    return int(match.group(1)), int(match.group(2))


def image_size(size: str | int, version: tuple[int, int]) -> int:
    """The byte length for a size name or number, checked against what that FW generation ships."""
    length = SIZES.get(size) if isinstance(size, str) else size
    if length is None:
        raise ValueError(f"size {size!r}: expected {', '.join(SIZES)} or a number of bytes")
    if length == APP_MAX_SIZE_5 and not (3, 55) <= version < (6, 0):
        raise ValueError(f"size {size!r} ({APP_MAX_SIZE_5} bytes) is the release layout of FW 3.55..5.x")
    if length == APP_MAX_SIZE_6 and version < (6, 0):
        raise ValueError(f"size {size!r} ({APP_MAX_SIZE_6} bytes) is the release layout of FW >= 6.00")
    if not CODE_OFFSET + 0x4000 <= length <= APP_MAX_SIZE_6:
        raise ValueError(f"size {length}: expected {CODE_OFFSET + 0x4000}..{APP_MAX_SIZE_6} bytes")
    return length


def _odd(addr: int) -> int:
    return addr | 1  # Thumb


def _code(rng: random.Random, length: int) -> bytearray:
    """Filler shaped like Thumb-2 code: halfwords, with the odd `bx lr` and `push {.., lr}`."""
    out = bytearray(rng.randbytes(length))
    for pos in range(0, length - 1, rng.randrange(24, 96) & ~1):
        out[pos:pos + 2] = rng.choice((b"\x70\x47", b"\x2d\xe9", b"\x10\xb5", b"\xbd\xe8"))
    return out


class _Rodata:
    """C strings laid out as GCC's .rodata.str1.4: each starts on a 4-byte boundary, NUL-padded."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.offsets: dict[str, int] = {}

    def add(self, text: str | bytes, key: str | None = None) -> int:
        raw = text if isinstance(text, bytes) else text.encode("ascii") + b"\x00"
        pos = len(self.data)
        self.data += raw + b"\x00" * (-len(raw) % 4)
        if key is not None:
            self.offsets[key] = pos
        return pos


def firmware(hw: str = "410", version: str = "5.03", size: str | int = "release5", *, gap: int | None = None,
             seed: int = 0, layout: str | None = None) -> bytes:
    """A firmware-like image for HW `hw`, FW `version`, `size` ("release5" | "release6" | "small" | bytes).

    gap: the config-sector fill (default 0x00 for FW >= 6.00, else 0xFF); layout: where the HW name string sits
    (default: chosen by the seed among those that fit the version).
    """
    ver = parse_version(version)
    length = image_size(size, ver)
    if not hw or len(hw) > 39 or not hw.isprintable():
        raise ValueError(f"hw {hw!r}: a printable HW name of 1..39 characters expected")
    if gap is None:
        gap = 0x00 if ver >= (6, 0) else 0xFF
    if gap not in (0x00, 0xFF):
        raise ValueError(f"gap {gap!r}: expected 0x00 or 0xFF")
    layouts = LAYOUTS if ver >= (5, 0) else LAYOUTS[:2]
    rng = random.Random(f"firmware:{hw}:{version}:{length}:{gap}:{seed}")
    layout = layout or rng.choice(layouts)
    if layout not in layouts:
        raise ValueError(f"layout {layout!r}: expected one of {', '.join(layouts)} for FW {version}")
    has_crc = length in (APP_MAX_SIZE_5, APP_MAX_SIZE_6)

    image = bytearray(b"\xff" * length)
    image[CONFIG_GAP[0]:CONFIG_GAP[1]] = bytes([gap]) * (CONFIG_GAP[1] - CONFIG_GAP[0])

    # Constant data first (its size decides where the code ends), placed after the code below.
    ro = _Rodata()
    strings = list(rng.sample(_STRINGS, rng.randrange(len(_STRINGS) // 2, len(_STRINGS))))
    group = ["Firmware: %d.%d", "\0HW", "Hardware: %s"] if layout == "reference" else \
        ["Firmware: %d.%d", "Hardware: %s"]
    insert_at = rng.randrange(len(strings) + 1)
    strings[insert_at:insert_at] = group
    if layout == "moved":
        strings.insert(rng.choice([i for i in range(len(strings) + 1) if abs(i - insert_at) > 2]), "\0HW")
    if ver >= (5, 0):
        strings.insert(rng.randrange(len(strings) + 1), "\0UAVCAN")
    strings.insert(rng.randrange(len(strings) + 1), "\0MARKER")
    marker = make_marker(kind="firmware", version=version, size=length, seed=seed)
    for text in strings:
        if text == "\0HW":
            ro.add(hw, "hw")
        elif text == "\0UAVCAN":
            ro.add("org.vesc." + hw, "uavcan")
        elif text == "\0MARKER":
            ro.add(marker)
        else:
            ro.add(text, text)
    hw_offset = ro.offsets["hw"] if layout != "merged" else ro.offsets["uavcan"] + len("org.vesc.")
    data_image = rng.randbytes(rng.randrange(0x100, 0x800) & ~3)

    end_of_data = length - 8 if has_crc else length
    tail = len(ro.data) + len(data_image)
    if has_crc:  # real builds leave a stretch of 0xFF before the CRC words
        code_end = CODE_OFFSET + int((end_of_data - CODE_OFFSET - tail) * rng.uniform(0.55, 0.85))
    else:
        code_end = end_of_data - tail
    code_end &= ~3
    ro_base = code_end
    image[code_end:code_end + len(ro.data)] = ro.data
    image[code_end + len(ro.data):code_end + tail] = data_image

    def ro_addr(key: str) -> int:
        return FLASH_BASE + ro_base + ro.offsets[key]

    # Code from 0xC000 with its literal pools.
    image[CODE_OFFSET:code_end] = _code(rng, code_end - CODE_OFFSET)
    hw_addr = FLASH_BASE + ro_base + hw_offset
    pools = [
        [hw_addr, UID_ADDR],  # COMM_FW_VERSION: strcpy(HW_NAME), memcpy(STM32_UUID_8)
        [ro_addr("Firmware: %d.%d"), ro_addr("Hardware: %s"), hw_addr],  # terminal hw_status
    ]
    text_keys = [k for k in ro.offsets if k not in ("hw", "uavcan")]
    for _ in range(max(8, (code_end - CODE_OFFSET) // 0x2000)):
        pool = []
        for _ in range(rng.randrange(2, 7)):
            pick = rng.random()
            if pick < 0.45:
                pool.append(ro_addr(rng.choice(text_keys)))
            elif pick < 0.8:
                pool.append(rng.choice(_PERIPHERALS))
            else:
                pool.append(_odd(FLASH_BASE + rng.randrange(CODE_OFFSET, code_end, 2)))
        pools.append(pool)
    status_pool = pools[1]
    rng.shuffle(pools)
    slot = (code_end - CODE_OFFSET - 0x400) // len(pools)
    for i, pool in enumerate(pools):
        at = (CODE_OFFSET + 0x200 + i * slot + rng.randrange(0, max(4, slot - 32))) & ~3
        struct.pack_into(f"<{len(pool)}I", image, at, *pool)
        if pool is status_pool:
            _version_code(image, at, ver)

    # Vector table: handlers inside the code, most interrupts on the default handler.
    handlers = [_odd(FLASH_BASE + rng.randrange(CODE_OFFSET + 0x100, min(code_end, 0x20000), 2)) for _ in range(12)]
    default = handlers[0]
    vectors = [STACK_TOP, RESET_VECTOR] + [handlers[1 + i % 5] for i in range(5)] + [0] * 4
    vectors += [handlers[6], handlers[7], 0, handlers[8], handlers[9]]
    vectors += [rng.choice(handlers[9:]) if rng.random() < 0.15 else default for _ in range(N_VECTORS - 16)]
    struct.pack_into(f"<{N_VECTORS}I", image, 0, *vectors)
    table_end = 4 * N_VECTORS
    sector0_code = rng.randrange(0x20, 0x600) & ~1
    image[table_end:table_end + sector0_code] = _code(rng, sector0_code)
    image[table_end + sector0_code:CONFIG_GAP[0]] = bytes([gap]) * (CONFIG_GAP[0] - table_end - sector0_code)
    return bytes(image)


def _bl(offset: int) -> bytes:
    """BL to a small positive offset (T1, S=0, J1=J2=1)."""
    return struct.pack("<HH", 0xF000 | (offset >> 12) & 0x3FF, 0xF800 | (offset >> 1) & 0x7FF)


def _b_cond_w(cond: int, offset: int) -> bytes:
    """B<cond>.W to a small positive offset (T3, S=J1=J2=0)."""
    return struct.pack("<HH", 0xF000 | cond << 6 | (offset >> 12) & 0x3F, 0x8000 | (offset >> 1) & 0x7FF)


def _version_code(image: bytearray, pool_at: int, ver: tuple[int, int]) -> None:
    """The terminal's hw_status printf("Firmware: %d.%d", major, minor) as each compiler emitted it (images/version.py
    and docs/knowledge.md): `ldr r0` of the format's pool word at `pool_at`, r1 = major and r2 = minor around it."""
    major, minor = ver
    ldr = pool_at - 0x20
    put = functools.partial(_put, image)
    bx_lr, movs_r1, movs_r2 = b"\x70\x47", bytes([major, 0x21]), bytes([minor, 0x22])
    put(ldr, struct.pack("<H", 0x4800 | (pool_at - ldr - 4) // 4))
    if ver == (3, 27):  # movs r2, #27; ldr r0, =fmt; movs r1, #3
        put(ldr - 4, bx_lr + movs_r2)
        put(ldr + 2, movs_r1 + _bl(0x200))
        return
    put(ldr + 2, _bl(0x200))
    if minor == 0 and major >= 7:  # mov r2, r0; cmp r0, #0; bne.w away; movs r1, #7
        put(ldr - 12, bx_lr + b"\x02\x46\x00\x28" + _b_cond_w(1, 0x100) + movs_r1)
    elif minor == 0:  # 4.00: a block {movs r1, #4; ldr r0} reached by `mov r2, r0; cmp r0, #0; beq.w block`
        put(ldr - 4, struct.pack("<H", 0xE000 | 0x40) + movs_r1)
        source = ldr - 0x60
        put(source - 2, bx_lr + b"\x02\x46\x00\x28" + _b_cond_w(0, (ldr - 2) - (source + 4) - 4))
    elif major == minor:  # 6.06: movs r2, #6; mov r1, r2
        put(ldr - 6, bx_lr + movs_r2 + b"\x11\x46")
    else:  # movs r2, #minor; movs r1, #major
        put(ldr - 6, bx_lr + movs_r2 + movs_r1)


def _put(image: bytearray, at: int, code: bytes) -> None:
    image[at:at + len(code)] = code


def bootloader(*, compression: bool = True, seed: int = 0) -> bytes:
    """A bootloader-like image linked at 0x080E0000: 5.2-5.8 KB with compression support, 3.7-4.3 KB without."""
    rng = random.Random(f"bootloader:{compression}:{seed}")
    length = (rng.randrange(5200, 5800) if compression else rng.randrange(3700, 4300)) & ~3
    image = _code(rng, length)
    reset = _odd(BOOTLOADER_BASE + rng.randrange(0x300, 0x600, 2))
    handlers = [_odd(BOOTLOADER_BASE + rng.randrange(0x600, 0x800, 2)) for _ in range(4)]
    vectors = [STACK_TOP, reset] + [handlers[0]] * 5 + [0] * 4 + [handlers[1], handlers[0], 0,
                                                                  handlers[2], handlers[3]]
    vectors += [handlers[0]] * (N_VECTORS - 16)
    struct.pack_into(f"<{N_VECTORS}I", image, 0, *vectors)
    # What a VESC bootloader's literal pools hold: the buffer, the app, the FLASH registers, the max image size.
    pool = [0x08080000, FLASH_BASE, 0x40023C00, UPDATE_MAX_SIZE, 0xE000ED00, 0x40003000]
    rng.shuffle(pool)
    struct.pack_into(f"<{len(pool)}I", image, (length // 2) & ~3, *pool)
    name = "synthetic bootloader (compression)" if compression else "synthetic bootloader (no compression)"
    at = (length - 192 - rng.randrange(16, 256)) & ~3  # room for the marker, then a little more code
    marker = make_marker(kind="bootloader", compression=compression, name=name, seed=seed,
                         **covering(bytes(image[:at])))
    assert len(marker) <= 192, "marker outgrew its room"
    image[at:at + len(marker)] = marker
    return bytes(image)


def update_buffer(image: bytes, *, seed: int = 0) -> bytes:
    """What VESC Tool writes to the new-app buffer at 0x08080000: u32 size, u16 CRC16-XMODEM (big-endian), image.

    Images larger than 393208 bytes go heatshrink-compressed with 0xCC in the size's top byte. This generator does
    not compress: it writes a stand-in payload of a plausible compressed length (header and CRC consistent with it),
    enough for anything that reads the header, not for a bootloader that would decompress it.
    """
    if len(image) <= APP_MAX_SIZE_5:
        payload, size_word = bytes(image), len(image)
    else:
        rng = random.Random(f"update:{len(image)}:{seed}")
        payload = rng.randbytes(int(len(image) * rng.uniform(0.55, 0.7)))
        size_word = COMPRESSED_MARK | len(payload)
    if 6 + len(payload) > BUFFER_CAPACITY:
        raise ValueError(f"update of {len(payload)} bytes does not fit the buffer ({BUFFER_CAPACITY - 6} max)")
    return struct.pack(">IH", size_word, crc16_xmodem(payload)) + payload


OTHER_APP_SIZE = 0x2C00
_OTHER_APP_STRINGS = ("STM32F405 test firmware", "Hello from STM32F4!\r\n", "LED toggle %lu\r\n", "SystemClock_Config",
                      "HAL_RCC_OscConfig failed", "Error_Handler", "assert failed: %s line %d\r\n", "USART2",
                      "tick=%lu\r\n", "BOOT OK")


def other_app(size: int = OTHER_APP_SIZE, *, seed: int = 0) -> bytes:
    """A runnable application that is not VESC firmware (a vendor's test program, a blinky): a CubeMX-style vector
    table (SP at the top of SRAM, handlers right after the table), code and its own strings, no VESC HW name."""
    rng = random.Random(f"other-app:{size}:{seed}")
    image = _code(rng, size)
    first = FLASH_BASE + 4 * N_VECTORS
    handlers = [_odd(first + rng.randrange(0, 0x400, 2)) for _ in range(6)]
    vectors = [0x20020000, handlers[0]] + [handlers[1]] * 5 + [0] * 4 + [handlers[2], handlers[1], 0,
                                                                        handlers[3], handlers[4]]
    vectors += [handlers[1] if rng.random() < 0.9 else handlers[5] for _ in range(N_VECTORS - 16)]
    struct.pack_into(f"<{N_VECTORS}I", image, 0, *vectors)
    ro = _Rodata()
    for text in rng.sample(_OTHER_APP_STRINGS, len(_OTHER_APP_STRINGS)):
        ro.add(text)
    at = (size - len(ro.data) - rng.randrange(0x40, 0x200)) & ~3
    image[at:at + len(ro.data)] = ro.data
    return bytes(image)


def garbage(size: int, *, seed: int = 0) -> bytes:
    """Random bytes: what a sector holds after a write that went wrong."""
    return random.Random(f"garbage:{size}:{seed}").randbytes(size)


LISPBM_SECTOR_SIZE = 128 * 1024


def other_chip_bootloader(link_base: int = 0x0803E000, *, seed: int = 0) -> bytes:
    """A bootloader for another VESC chip, linked where those live (0x0803E000 the VESC BMS, 0x0801E000 an STM32G431
    custom module; knowledge/other_images.py): 5-6.5 KB, its vector table pointing into its own 8 KiB."""
    rng = random.Random(f"other-bootloader:{link_base}:{seed}")
    length = rng.randrange(5000, 6600) & ~3
    image = _code(rng, length)
    handlers = [_odd(link_base + rng.randrange(0x200, length - 0x100, 2)) for _ in range(4)]
    struct.pack_into("<4I", image, 0, 0x20000400, handlers[0], handlers[1], handlers[1])
    return bytes(image)


def bms_firmware(hw: str = "12s7p", version: str = "5.03", *, seed: int = 0) -> bytes:
    """Firmware-like VESC BMS image: a VESC HW name and version like a motor controller's, but its code starts right
    after the vector table (reset vector 0x080002E1 as the BMS releases), through the motor controller's config
    sectors."""
    image = bytearray(firmware(hw, version, "small", gap=0xFF, seed=seed))
    image[CONFIG_GAP[0]:CONFIG_GAP[1]] = _code(random.Random(f"bms:{hw}:{seed}"), CONFIG_GAP[1] - CONFIG_GAP[0])
    struct.pack_into("<II", image, 0, 0x20000400, 0x080002E1)
    return bytes(image)


def lispbm_image(*, version: str = "00000000", seed: int = 0) -> bytes:
    """Sector 8 as FW 6.06+ leaves it with a LispBM script running: the constant heap grows up from the sector's
    start, the image's entries grow down from its end (bldc release_6_06 lispBM/lispBM/src/lbm_image.c:1080-1125:
    IMAGE_INITIALIZED 0xBEEF2001 in the last word, then VERSION_ENTRY 0x09, its size in words and the version
    string, the app CRC as "%08X" (lispif.c:741-750), then CONSTANT_HEAP_IX 0x02 and the heap's next index).

    The heap's first word is chosen to look like an update header a reader could take for a 6.x image size (that is
    what a diagnosis must not do), the rest of the heap is random words, the middle stays erased."""
    rng = random.Random(f"lispbm-image:{version}:{seed}")
    image = bytearray(b"\xff" * LISPBM_SECTOR_SIZE)
    heap_words = rng.randrange(0x200, 0x1000)
    heap = struct.pack(">I", 0x0007F000 + rng.randrange(0, 0x800)) + rng.randbytes(4 * heap_words - 4)  # as a BE size
    image[:len(heap)] = heap
    text = version.encode("ascii") + b"\x00"
    text += b"\x00" * (-len(text) % 4)
    words = len(text) // 4
    tail = struct.pack("<II", heap_words, LBM_CONSTANT_HEAP_IX_WORD)  # lowest address first: index, then the tag
    # downwards from the last word: INITIALIZED, VERSION_ENTRY, words, string (its first word lowest), heap index
    top = struct.pack("<II", LBM_VERSION_ENTRY_WORD, 0xBEEF2001)
    body = text + struct.pack("<I", words) + top
    image[LISPBM_SECTOR_SIZE - len(body):] = body
    image[LISPBM_SECTOR_SIZE - len(body) - len(tail):LISPBM_SECTOR_SIZE - len(body)] = tail
    return bytes(image)


LBM_VERSION_ENTRY_WORD = 0x09
CODE_MAX_SIZE = 128 * 1024 - 8  # LISP_MAX_SIZE and QMLUI_MAX_SIZE (bldc release_6_00 flash_helper.c:47-48)
LISP_SCRIPT = (b"; autostart: runs at every boot (bldc release_6_00 lispBM/lispif.c:63-69)\n"
               b"(define speed 0)\n(loopwhile t\n  (progn (setq speed (get-speed))\n    (sleep 0.01)))\n")


def lispbm_code(text: bytes = LISP_SCRIPT, *, flags: int = 0, seed: int = 0) -> bytes:
    """A code-storage sector as VESC Tool's "upload" leaves it (6.00+: LispBM code in sector 10, QML in 9;
    bldc release_6_00 flash_helper.c:447-465 checks it): the length (u32), the CRC16 over flags + code (u16), the
    flags (u16), all big-endian as bldc's buffer.c, then the code, the rest of the sector erased. `seed` adds a
    comment line so two boards' scripts differ."""
    if seed:
        text = b"; board %d\n" % seed + text
    if len(text) > CODE_MAX_SIZE:
        raise ValueError(f"a script of {len(text)} bytes does not fit ({CODE_MAX_SIZE} at most)")
    body = struct.pack(">H", flags) + text
    head = struct.pack(">IH", len(text), crc16_xmodem(body))  # bldc util/crc.c crc16: CCITT, initial 0
    return head + body
LBM_CONSTANT_HEAP_IX_WORD = 0x02


def package_data(size: int = 0x800, *, seed: int = 0) -> bytes:
    """What a LispBM package stores through the 6.06+ NVM API in sector 11 (release_6_06 flash_helper.c:492-533):
    its own bytes, no vector table (the data format is the package's)."""
    rng = random.Random(f"package-data:{size}:{seed}")
    return b"PKG\x00" + rng.randbytes(max(0, size - 4))
