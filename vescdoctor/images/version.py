"""Read a firmware's version from its code: the terminal's `hw_status` prints it with constants.

bldc terminal.c: commands_printf("Firmware: %d.%d", FW_VERSION_MAJOR, FW_VERSION_MINOR). GCC loads the format's
address with `ldr r0, [pc, #imm]` and the two numbers into r1 and r2 around it, in shapes that changed with the
compiler (docs/knowledge.md, "Version in the code"; every release image 3.27-7.00 of vesc_fw_archive and vesc_tool):
- 3.28-6.05: `movs r2, #minor; movs r1, #major; ldr r0, =fmt`; 3.27: `movs r2, #27; ldr r0, =fmt; movs r1, #3`;
- 6.06: `movs r2, #6; mov r1, r2` (major == minor);
- X.00 (4.00, 7.00): minor 0 comes from strcmp's result: `mov r2, r0; cmp r0, #0; bne.w other` falls through into
  the printf (7.00), or `... beq.w printf_block` jumps to a block that only sets r1 (4.00).
So: find the format string, the literal-pool words pointing at it, each 16-bit `ldr r0, [pc, #imm]` that loads such
a word, and follow r1 and r2 back (and forward to the call) through moves, constants and `r0 == 0` branches.
Instructions are decoded with capstone (pyOCD's own disassembler dependency). Anything else gives None.
"""
from __future__ import annotations

import struct
from functools import lru_cache

from ..knowledge.flash import FLASH_BASE

FORMAT = b"Firmware: %d.%d"
LDR_REACH = 1020  # a 16-bit LDR (literal) reaches 1020 bytes forward
BACK_STEPS = 12  # instructions followed back from the ldr
FORWARD_STEPS = 3  # instructions after the ldr, up to the call
SYNC_WINDOW = 40  # bytes decoded before an instruction to find where the one before it starts
BRANCH_REACH = 0x1000  # how far a branch into the printf's block is looked for
CONDITIONAL_BRANCHES = {"b" + c for c in ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls",
                                          "ge", "lt", "gt", "le")}


def version_from_code(data: bytes, base: int = FLASH_BASE) -> str | None:
    data = bytes(data)
    pos = data.find(FORMAT)
    while pos >= 0:
        word = struct.pack("<I", base + pos)
        pool = data.find(word)
        while pool >= 0:
            if pool % 4 == 0:
                for site in _ldr_sites(data, pool):
                    found = _version_at(data, base, site)
                    if found:
                        return found
            pool = data.find(word, pool + 1)
        pos = data.find(FORMAT, pos + 1)
    return None


def _ldr_sites(data: bytes, pool: int) -> list[int]:
    """Offsets of `ldr r0, [pc, #imm8*4]` (01001 000 imm8) whose literal is the word at `pool`."""
    sites = []
    for ins in range(max(0, pool - LDR_REACH) & ~1, pool, 2):
        half = struct.unpack_from("<H", data, ins)[0]
        if half >> 8 == 0x48 and ((ins + 4) & ~3) + (half & 0xFF) * 4 == pool:
            sites.append(ins)
    return sites


def _version_at(data: bytes, base: int, site: int) -> str | None:
    regs = _forward(data, base, site)
    want = {r: r for r in (1, 2) if r not in regs}  # register wanted -> the register holding its value now
    _backward(data, base, site, want, regs, zero=set(), depth=0)
    major, minor = regs.get(1), regs.get(2)
    # 0 < major < 100, minor < 256: third-party builds report 23.46 (Enertion Unity) and 3.102 (Ackmaniac)
    if major is not None and minor is not None and 0 < major < 100 and minor < 256:
        return f"{major}.{minor:02d}"
    return None


def _forward(data: bytes, base: int, site: int) -> dict[int, int]:
    """r1/r2 set by `movs` between the ldr and the call (3.27 sets the major after the ldr)."""
    regs: dict[int, int] = {}
    at = site + 2
    for _ in range(FORWARD_STEPS):
        ins = _decode(data, base, at)
        if ins is None or ins[0].startswith("b"):
            break
        mnemonic, ops, size = ins
        if mnemonic == "movs" and ops[0] in ("r1", "r2") and ops[1].startswith("#"):
            regs[int(ops[0][1])] = _imm(ops[1])
        at += size
    return regs


def _backward(data, base, at, want, regs, zero, depth) -> None:
    """Follow the wanted registers back from `at` through straight-line code; at a block start (after an
    unconditional branch) continue from the branches that jump to it, with what their condition says."""
    for _ in range(BACK_STEPS):
        if not want:
            return
        prev = _previous(data, base, at)
        if prev is None:
            return
        at, (mnemonic, ops, _) = prev
        if mnemonic in ("b", "b.w", "bx") or (mnemonic == "pop" and "pc" in ops[-1]):
            if depth == 0:
                for source, zero_reg in _branches_into(data, base, at + _decode(data, base, at)[2]):
                    _backward(data, base, source, dict(want), regs, zero | {zero_reg}, depth + 1)
            return
        if mnemonic in ("bne", "bne.w"):
            compared = _compared_with_zero(data, base, at)
            if compared is not None:
                zero = zero | {compared}  # falling through a bne after cmp rN, #0: rN == 0 here
            continue
        if mnemonic == "cbnz":
            zero = zero | {_reg(ops[0])}
            continue
        if mnemonic.split(".")[0] in CONDITIONAL_BRANCHES or mnemonic == "cbz":
            continue
        if mnemonic.startswith("bl") or not ops:
            return  # a call clobbers r0-r3
        _assign(mnemonic, ops, want, regs, zero)


def _assign(mnemonic: str, ops: list[str], want: dict[int, int], regs: dict[int, int], zero: set[int]) -> None:
    dest = _reg(ops[0])
    if dest is None or mnemonic in ("cmp", "tst", "cmn", "str", "strb", "strh") or mnemonic.startswith("st"):
        return
    for wanted, holder in list(want.items()):
        if holder != dest:
            continue
        if mnemonic == "movs" and len(ops) == 2 and ops[1].startswith("#"):
            regs[wanted] = _imm(ops[1])
            del want[wanted]
        elif mnemonic == "mov" and len(ops) == 2 and (source := _reg(ops[1])) is not None:
            if source in zero:
                regs[wanted] = 0
                del want[wanted]
            else:
                want[wanted] = source
        else:
            del want[wanted]  # set some other way: unknown


def _branches_into(data: bytes, base: int, target: int) -> list[tuple[int, int]]:
    """(offset, register known 0 there) of each `beq`/`cbz` to `target` that follows a compare of a register with 0."""
    found = []
    for at in range(max(0, target - BRANCH_REACH), min(len(data) - 2, target + BRANCH_REACH), 2):
        half = struct.unpack_from("<H", data, at)[0]
        if not (half >> 12 == 0xD or half >> 11 == 0x1E or half & 0xF500 == 0xB100):
            continue  # not a conditional branch (16-bit B<c>, 32-bit prefix, CBZ/CBNZ): skip capstone
        ins = _decode(data, base, at)
        if ins is None or ins[0] not in ("beq", "beq.w", "cbz") or _target(ins[1][-1]) != base + target:
            continue
        zero_reg = _reg(ins[1][0]) if ins[0] == "cbz" else _compared_with_zero(data, base, at)
        if zero_reg is not None:
            found.append((at, zero_reg))
    return found


def _compared_with_zero(data: bytes, base: int, branch_at: int) -> int | None:
    prev = _previous(data, base, branch_at)
    if prev is None:
        return None
    mnemonic, ops, _ = prev[1]
    return _reg(ops[0]) if mnemonic == "cmp" and len(ops) == 2 and ops[1] == "#0" else None


def _previous(data: bytes, base: int, at: int):
    """The instruction that ends at `at`, as a linear decode from a little before finds it (Thumb mixes 16- and
    32-bit instructions, and a 32-bit one's second half can look like anything: only a run of decoded instructions
    that lands exactly on `at` says where the previous one starts)."""
    for start in range(max(0, at - SYNC_WINDOW), at, 2):
        pos, last = start, None
        while pos < at:
            ins = _decode(data, base, pos)
            if ins is None:
                break
            last, pos = (pos, ins), pos + ins[2]
        if pos == at and last is not None:
            return last
    return None


def _decode(data: bytes, base: int, at: int):
    """(mnemonic, operands, size) of the Thumb instruction at `at`, or None."""
    return _decode_bytes(bytes(data[at:at + 4]), base + at)


@lru_cache(maxsize=4096)
def _decode_bytes(code: bytes, address: int):
    for ins in _disassembler().disasm(code, address, 1):
        return ins.mnemonic, [o.strip() for o in ins.op_str.split(",")] if ins.op_str else [], ins.size
    return None


@lru_cache(maxsize=1)
def _disassembler():
    import capstone

    return capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB)


def _reg(text: str) -> int | None:
    return int(text[1:]) if len(text) in (2, 3) and text[0] == "r" and text[1:].isdigit() else None


def _imm(text: str) -> int:
    return int(text.lstrip("#"), 0)


def _target(text: str) -> int:
    return int(text.lstrip("#"), 0)
