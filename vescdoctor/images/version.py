"""Read a firmware's version from its code: the terminal's `hw_status` prints it with constants.

bldc terminal.c: commands_printf("Firmware: %d.%d", FW_VERSION_MAJOR, FW_VERSION_MINOR). In the 3.40 and 5.03
release images GCC compiles that to `movs r2, #minor; movs r1, #major; ldr r0, =fmt; bl commands_printf`.
So: find the format string, the literal-pool words pointing at it, the 16-bit `ldr r0, [pc, #imm]` that loads
such a word, and the two `movs` just before it. Any other instruction shape gives None (then only the table of
known files can tell).
"""
from __future__ import annotations

import struct

from ..knowledge.flash import FLASH_BASE

FORMAT = b"Firmware: %d.%d"
LDR_REACH = 1020  # a 16-bit LDR (literal) reaches 1020 bytes forward
MOVS_WINDOW = 6  # halfwords before the ldr searched for the movs


def version_from_code(data: bytes, base: int = FLASH_BASE) -> str | None:
    pos = data.find(FORMAT)
    while pos >= 0:
        word = struct.pack("<I", base + pos)
        pool = data.find(word)
        while pool >= 0:
            if pool % 4 == 0:
                found = _version_near_pool(data, pool)
                if found:
                    return found
            pool = data.find(word, pool + 1)
        pos = data.find(FORMAT, pos + 1)
    return None


def _version_near_pool(data: bytes, pool: int) -> str | None:
    for ins in range(max(0, pool - LDR_REACH) & ~1, pool, 2):
        half = struct.unpack_from("<H", data, ins)[0]
        # LDR r0, [pc, #imm8*4]: 01001 000 imm8; the target is Align(ins + 4, 4) + imm8 * 4
        if half >> 8 != 0x48 or ((ins + 4) & ~3) + (half & 0xFF) * 4 != pool:
            continue
        regs: dict[int, int] = {}  # register number -> MOVS immediate
        for back in range(ins - 2, max(-2, ins - 2 * MOVS_WINDOW - 2), -2):
            if back < 0:
                break
            prev = struct.unpack_from("<H", data, back)[0]
            if prev >> 11 == 0b00100 and (prev >> 8) & 7 in (1, 2):  # MOVS r1/r2, #imm8
                regs.setdefault((prev >> 8) & 7, prev & 0xFF)
        if 1 in regs and 2 in regs and 0 < regs[1] < 20 and regs[2] < 100:
            return f"{regs[1]}.{regs[2]:02d}"
    return None
