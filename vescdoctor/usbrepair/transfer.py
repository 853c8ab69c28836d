"""The update path over the VESC protocol, as VESC Tool drives it (vesc_tool vescinterface.cpp fwUpload; sources
with branch and line in docs/usb-repair.md).

- Bootloader: COMM_ERASE_BOOTLOADER (firmware >= 3.59; older firmware writes without erasing), then
  COMM_WRITE_NEW_APP_DATA at offset 0x60000 from the buffer base 0x08080000, i.e. sector 11 at 0x080E0000.
- Firmware: COMM_ERASE_NEW_APP (the image size), the buffer (u32 size, u16 CRC16-XMODEM, data) written from
  offset 0, then COMM_JUMP_TO_BOOTLOADER. Images over 393208 bytes go heatshrink-compressed (window 13,
  lookahead 5; 0xCC in the size's top byte) and must then fit in 393208 bytes.
- Chunks of 384 bytes; a chunk of all 0xFF is skipped (erased flash already holds it); every reply is checked
  (ok byte and, where the firmware sends it, the offset).
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import heatshrink2

from ..knowledge.checksums import crc16_xmodem
from ..protocol.commands import Command
from .link import ERASE_TIMEOUT, UsbRepairError, VescLink

CHUNK = 384
BOOTLOADER_OFFSET = 0x60000  # 1024 * 128 * 3: 0x08080000 + 0x60000 = 0x080E0000
MAX_UPDATE = 393208  # what the bootloader takes (3 sectors minus the header and room, as VESC Tool checks)
COMPRESSED_MARK = 0xCC << 24
HS_WINDOW, HS_LOOKAHEAD = 13, 5  # vesc_tool heatshrink/heatshrink_config.h
ERASE_BOOTLOADER_SINCE = (3, 59)

Progress = Callable[[float], None]


class WriteRefused(UsbRepairError):
    """The firmware said a write or an erase failed (write protection, a flash error)."""


@dataclass(frozen=True)
class UpdateBuffer:
    """What goes into the new-app buffer: the 6-byte header and the (maybe compressed) image."""

    data: bytes
    image_size: int
    compressed: bool

    @property
    def payload_size(self) -> int:
        return len(self.data) - 6


def update_buffer(image: bytes) -> UpdateBuffer:
    """The buffer for `image`; UsbRepairError when it does not fit even compressed."""
    image = bytes(image)
    compressed = len(image) > MAX_UPDATE
    payload = heatshrink2.compress(image, window_sz2=HS_WINDOW, lookahead_sz2=HS_LOOKAHEAD) if compressed \
        else image
    if len(payload) > MAX_UPDATE:
        raise UsbRepairError(f"the firmware ({len(image)} bytes) does not fit the update buffer even compressed "
                             f"({len(payload)} > {MAX_UPDATE} bytes)")
    size_word = (COMPRESSED_MARK | len(payload)) if compressed else len(payload)
    return UpdateBuffer(struct.pack(">IH", size_word, crc16_xmodem(payload)) + payload, len(image), compressed)


def chunks(data: bytes, base: int = 0) -> Iterator[tuple[int, bytes]]:
    """(offset, chunk) of 384 bytes, all-0xFF chunks left out."""
    for pos in range(0, len(data), CHUNK):
        chunk = data[pos:pos + CHUNK]
        if chunk.count(0xFF) != len(chunk):
            yield base + pos, chunk


def _check_ok(reply: bytes, what: str) -> None:
    if len(reply) < 2 or reply[1] != 1:
        raise WriteRefused(f"the firmware refused {what} (flash write-protected or failing)")


def write_chunks(link: VescLink, data: bytes, base: int, what: str, progress: Progress) -> int:
    """Write `data` at buffer offset `base`; the number of bytes sent."""
    todo = list(chunks(data, base))
    sent = 0
    for i, (offset, chunk) in enumerate(todo):
        reply = link.call(bytes((Command.WRITE_NEW_APP_DATA,)) + struct.pack(">I", offset) + chunk)
        _check_ok(reply, f"{what} data at 0x{0x08080000 + offset:08X}")
        if len(reply) >= 6 and struct.unpack_from(">I", reply, 2)[0] != offset:
            raise UsbRepairError(f"the firmware acknowledged another offset than 0x{offset:X}")
        sent += len(chunk)
        progress((i + 1) / len(todo))
    return sent


def upload_bootloader(link: VescLink, image: bytes, fw: tuple[int, int], progress: Progress) -> bool:
    """Erase sector 11 (where the firmware can) and write `image` there. True when it was erased first."""
    erased = fw >= ERASE_BOOTLOADER_SINCE
    if erased:
        _check_ok(link.call(bytes((Command.ERASE_BOOTLOADER,)), timeout=ERASE_TIMEOUT), "erasing sector 11")
    write_chunks(link, bytes(image), BOOTLOADER_OFFSET, "bootloader", progress)
    return erased


def upload_firmware(link: VescLink, image: bytes, buffer: UpdateBuffer, progress: Progress) -> None:
    """Erase the buffer, write it; the jump to the bootloader is the caller's (it ends the connection)."""
    reply = link.call(bytes((Command.ERASE_NEW_APP,)) + struct.pack(">I", len(image)), timeout=ERASE_TIMEOUT)
    _check_ok(reply, "erasing the update buffer (sectors 8-10)")
    write_chunks(link, buffer.data, 0, "firmware", progress)


def jump_to_bootloader(link: VescLink) -> None:
    """COMM_JUMP_TO_BOOTLOADER: no reply; the port goes away."""
    link.send(bytes((Command.JUMP_TO_BOOTLOADER,)))
