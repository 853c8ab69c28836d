"""The two checksums VESC uses: the STM32 CRC unit's CRC-32 (app CRC words) and CRC-16/XMODEM (packets, update header).

Both are computed with the C implementations in binascii, by transforming the input, because a pure-Python loop over
a 400 KB image costs a noticeable fraction of a second and the diagnosis runs it on every board.
"""
from __future__ import annotations

import binascii

_BITREV = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _bitrev32(value: int) -> int:
    return int(f"{value:032b}"[::-1], 2)


def stm32_crc32(data: bytes, init: int = 0xFFFFFFFF) -> int:
    """CRC of the STM32 CRC unit over `data` read as little-endian 32-bit words.

    Polynomial 0x04C11DB7, each word fed most significant bit first, no reflection, no final XOR (CRC-32/MPEG-2 over
    the words' big-endian bytes). binascii.crc32 is the reflected variant: feeding it bit-reversed bytes and
    bit-reversing its result gives the unreflected CRC.
    """
    if len(data) % 4:
        raise ValueError("the STM32 CRC unit takes whole 32-bit words")
    swapped = bytearray(len(data))
    swapped[0::4], swapped[1::4], swapped[2::4], swapped[3::4] = data[3::4], data[2::4], data[1::4], data[0::4]
    reflected = binascii.crc32(bytes(swapped).translate(_BITREV), _bitrev32(init) ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
    return _bitrev32(reflected)


def crc16_xmodem(data: bytes, init: int = 0) -> int:
    """CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR."""
    return binascii.crc_hqx(data, init)
