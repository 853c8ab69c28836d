"""Find the HW name a VESC firmware was built for, inside its bytes.

There is no header in a VESC .bin: the HW name is a C string in the constant data, and linkers merge and move
strings, so its place and neighbours change from build to build. What does not change is how the code uses it
(studied on the 3.40 and 5.03 release images for 410 and 60, bldc:comm/commands.c and terminal.c):

- COMM_FW_VERSION copies HW_NAME into the reply, then the 12-byte UID read from 0x1FFF7A10. GCC puts both constants
  in the function's literal pool next to each other: [&HW_NAME][0x1FFF7A10].
- The terminal's `hw_status` prints "Hardware: %s" with HW_NAME: that pool holds [&"Hardware: %s"] beside &HW_NAME.
- FW >= 5.x names its UAVCAN node "org.vesc." HW_NAME.

A candidate is the C string a pool word points to (the pointer may point into the middle of a merged string, which
is why strings are read from pointers and not searched for). Anchors vote; the known-name list only breaks ties or,
when no anchor is found, accepts a referenced string that is exactly a known name. Costs a few C-level bytes.find
scans: well under 10 ms on 512 KiB.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from ..knowledge.flash import FLASH_BASE
from ..knowledge.images_table import HW_NAMES

UID_ADDR_WORD = struct.pack("<I", 0x1FFF7A10)
HARDWARE_FMT = b"Hardware: %s\x00"
FIRMWARE_FMT = b"Firmware: %d.%d\x00"
UAVCAN_PREFIX = b"org.vesc."

# Weights: a code anchor is strong, the UAVCAN name is good, the rodata neighbourhood and the list are hints.
W_UID_POOL, W_HARDWARE_POOL, W_UAVCAN, W_RODATA, W_REFERENCED, W_KNOWN = 4, 4, 3, 2, 2, 1
MIN_SCORE = 3  # at least one real anchor, or a known name with more evidence

_NAME_RE = re.compile(rb"[A-Za-z0-9][A-Za-z0-9 _.+\-]{0,39}")
_STANDALONE_RE = re.compile(rb"\x00([A-Za-z0-9][A-Za-z0-9 _.+\-]{0,39})(?=\x00)")
_POOL_REACH = 3  # words either side of an anchor constant in a literal pool


@dataclass
class HwCandidate:
    name: str
    score: int = 0
    evidence: list[str] = field(default_factory=list)

    def add(self, weight: int, why: str) -> None:
        if why not in self.evidence:
            self.score += weight
            self.evidence.append(why)


def find_hw_name(data: bytes, base: int = FLASH_BASE) -> str | None:
    """The HW name inside firmware bytes that start at `base` (trailing erased bytes are fine), or None."""
    best = hw_name_candidates(data, base)
    return best[0].name if best and best[0].score >= MIN_SCORE else None


def hw_name_candidates(data: bytes, base: int = FLASH_BASE) -> list[HwCandidate]:
    """Every HW name candidate with its score and evidence, best first."""
    data = bytes(data).rstrip(b"\xff")  # a flash readback: erased tail
    found: dict[str, HwCandidate] = {}

    def vote(name: str | None, weight: int, why: str) -> None:
        if name:
            found.setdefault(name, HwCandidate(name)).add(weight, why)

    for pos in _aligned_finds(data, UID_ADDR_WORD):
        for name in _pool_strings_near(data, base, pos):
            vote(name, W_UID_POOL, "beside the UID address in a literal pool (COMM_FW_VERSION reply)")
    for fmt_pos in _finds(data, HARDWARE_FMT):
        for pos in _aligned_finds(data, struct.pack("<I", base + fmt_pos)):
            for name in _pool_strings_near(data, base, pos):
                vote(name, W_HARDWARE_POOL, 'beside "Hardware: %s" in a literal pool (terminal hw_status)')
    for pos in _finds(data, UAVCAN_PREFIX):
        vote(_c_string_name(data, pos + len(UAVCAN_PREFIX)), W_UAVCAN, 'UAVCAN node name "org.vesc.<HW>"')
    for pos in _finds(data, FIRMWARE_FMT):
        # rodata order of terminal.c: "Firmware: %d.%d", HW_NAME, "Hardware: %s"
        between = _c_string_name(data, pos + len(FIRMWARE_FMT))
        if between and HARDWARE_FMT in data[pos: pos + len(FIRMWARE_FMT) + len(between) + 8 + len(HARDWARE_FMT)]:
            vote(between, W_RODATA, 'between "Firmware: %d.%d" and "Hardware: %s" in the constant data')

    if not found:  # no anchor at all: a referenced string that is exactly a known name
        for name in _referenced_known_names(data, base):
            vote(name, W_REFERENCED, "a referenced string equal to a known HW name")
    for cand in found.values():
        if cand.name in HW_NAMES:
            cand.add(W_KNOWN, "in the known HW name list")
    return sorted(found.values(), key=lambda c: (-c.score, -(c.name in HW_NAMES), -len(c.name), c.name))


def _referenced_known_names(data: bytes, base: int) -> list[str]:
    """Strings equal to a known HW name whose address appears (word-aligned) somewhere in the image."""
    names = []
    for match in _STANDALONE_RE.finditer(data):
        name = match.group(1).decode("ascii")
        if name in HW_NAMES and _aligned_finds(data, struct.pack("<I", base + match.start(1))):
            names.append(name)
    return names


def _finds(data: bytes, needle: bytes) -> list[int]:
    out, pos = [], data.find(needle)
    while pos >= 0:
        out.append(pos)
        pos = data.find(needle, pos + 1)
    return out


def _aligned_finds(data: bytes, word: bytes) -> list[int]:
    return [p for p in _finds(data, word) if p % 4 == 0]


def _pool_strings_near(data: bytes, base: int, pos: int) -> list[str]:
    """The plausible names that pool words around `pos` point at."""
    names = []
    for k in range(-_POOL_REACH, _POOL_REACH + 1):
        at = pos + 4 * k
        if k == 0 or at < 0 or at + 4 > len(data):
            continue
        target = struct.unpack_from("<I", data, at)[0] - base
        if 0 <= target < len(data):
            name = _c_string_name(data, target)
            if name and not name.startswith(UAVCAN_PREFIX.decode()):
                names.append(name)
    return names


def _c_string_name(data: bytes, offset: int) -> str | None:
    """The NUL-terminated string at `offset` if it looks like a HW name (HW names are short, printable, no format)."""
    end = data.find(b"\x00", offset, offset + 41)
    if end < 0:
        return None
    raw = data[offset:end]
    return raw.decode("ascii") if _NAME_RE.fullmatch(raw) else None
