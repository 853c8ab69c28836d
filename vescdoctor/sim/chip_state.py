"""What a powered chip keeps between debugger sessions and commands: the core's state (halted, locked up, running)
and registers, the debug registers, SRAM and CCM contents, the FLASH interface's lock state, the RDP level in
effect since the last reset. A real STM32F405 keeps all of it while powered; only a reset or a power cycle clears
it (RM0090 6.1: SRAM is not cleared by a reset either, but the core starts over from the vector table).

Saved next to flash.bin as `chip-state.bin` (atomically, with the board); removed when the board is unpowered. A
board without that file, or whose board.yaml changed the option bytes or wiring by hand since, is a board that was
powered on with nothing attached: the core runs what the boot model says. Format: magic, a JSON header (length-prefixed), SRAM, CCM.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

from ..errors import InputError
from ..knowledge.flash import CCM_SIZE, SRAM_SIZE
from .board import STATE_FILE, atomic_write
from .core import State

MAGIC = b"VDCHIP1\n"
HEADER_MAX = 64 * 1024


def physical_key(config) -> list:
    """What board.yaml says of the chip's wiring and option bytes. An edit of these between commands stands for
    changing the board by hand, which needs it unpowered (RDP, BOOT0 take effect at reset): the state is not kept."""
    ob = config.option_bytes
    return [ob.rdp, list(ob.wrp), ob.bor, config.boot0, config.swd, config.chip.as_dict()]


def save(chip, directory: Path) -> None:
    path = directory / STATE_FILE
    if not chip.powered:
        path.unlink(missing_ok=True)  # unpowered: the chip keeps nothing
        return
    state = chip.persistent_state()
    state["board"] = physical_key(chip.board.config)
    header = json.dumps(state, sort_keys=True).encode()
    atomic_write(path, MAGIC + struct.pack("<I", len(header)) + header + bytes(chip.sram) + bytes(chip.ccm))


def load(chip, directory: Path) -> bool:
    """Restore the chip from the board's state file; False when there is none (a fresh power-on)."""
    path = directory / STATE_FILE
    if not chip.powered or not path.is_file():
        return False
    data = path.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise InputError("not a chip state file of this version (delete it: the chip then starts as powered on)",
                         str(path))
    (length,) = struct.unpack_from("<I", data, len(MAGIC))
    start = len(MAGIC) + 4
    if length > HEADER_MAX or len(data) != start + length + SRAM_SIZE + CCM_SIZE:
        raise InputError(f"is {len(data)} bytes, not a whole chip state (delete it: the chip then starts as "
                         "powered on)", str(path))
    try:
        header = json.loads(data[start:start + length])
        State(header["core"]["state"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"chip state header unreadable ({exc}); delete the file to start the chip afresh",
                         str(path)) from None
    if header.get("board") != json.loads(json.dumps(physical_key(chip.board.config))):
        return False  # the board was changed by hand since: a fresh power-on
    body = start + length
    chip.sram[:] = data[body:body + SRAM_SIZE]
    chip.ccm[:] = data[body + SRAM_SIZE:]
    chip.restore_state(header)
    return True
