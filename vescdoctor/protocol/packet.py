"""VESC packet framing, as the firmware's packet.c does it (reference: vesc-stm32.md, Packet protocol).

    short: 0x02, len u8,     payload, crc16 hi, crc16 lo, 0x03     (payload of 1..255 bytes)
    long:  0x03, len u16 BE, payload, crc16 hi, crc16 lo, 0x03     (payload of 256..65535 bytes)

The CRC is CRC-16/XMODEM over the payload only. The firmware accepts payloads of at most 512 bytes
(PACKET_MAX_PL_LEN), so a third form (0x04, u24 length) never occurs on an STM32F4 VESC and is treated as noise.

`Decoder` is incremental: feed it whatever bytes arrive, in any chunking, and it returns the payloads of every
complete valid frame. A candidate frame that turns out wrong (length out of range, end byte missing, CRC bad) costs
exactly its start byte: scanning resumes at the next byte, so a real frame hidden in or after garbage is still found.
A garbage start byte announcing a long frame makes it wait for bytes that never come; the reader calls `expire()`
when the line goes quiet, as the firmware's packet timeout does. It never raises on input bytes, and it never buffers
more than one maximal frame.
"""
from __future__ import annotations

from ..knowledge.checksums import crc16_xmodem

START_SHORT = 0x02
START_LONG = 0x03
END = 0x03
MAX_PAYLOAD = 512  # PACKET_MAX_PL_LEN of the STM32 firmware
_OVERHEAD_LONG = 6  # start, len hi, len lo, crc hi, crc lo, end


def encode(payload: bytes, max_payload: int = MAX_PAYLOAD) -> bytes:
    """One frame around `payload` (1..max_payload bytes; ValueError otherwise)."""
    payload = bytes(payload)
    if not 1 <= len(payload) <= max_payload:
        raise ValueError(f"a VESC packet carries 1..{max_payload} payload bytes, got {len(payload)}")
    crc = crc16_xmodem(payload)
    if len(payload) <= 0xFF:
        head = bytes((START_SHORT, len(payload)))
    else:
        head = bytes((START_LONG, len(payload) >> 8, len(payload) & 0xFF))
    return head + payload + bytes((crc >> 8, crc & 0xFF, END))


class Decoder:
    """Incremental frame decoder that resynchronises on garbage and never raises on input."""

    def __init__(self, max_payload: int = MAX_PAYLOAD):
        self.max_payload = max_payload
        self._buf = bytearray()
        self.dropped = 0  # bytes discarded as noise (start bytes of failed candidates included)

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the payloads of the frames they completed, oldest first."""
        self._buf += data
        out: list[bytes] = []
        while True:
            payload_or_status = self._next()
            if payload_or_status is None:  # need more bytes
                return out
            if payload_or_status is not _SKIPPED:
                out.append(payload_or_status)

    def _next(self):
        buf = self._buf
        # Skip to the next possible start byte.
        start = 0
        while start < len(buf) and buf[start] not in (START_SHORT, START_LONG):
            start += 1
        if start:
            del buf[:start]
            self.dropped += start
        if not buf:
            return None
        if buf[0] == START_SHORT:
            if len(buf) < 2:
                return None
            header, length = 2, buf[1]
            valid_length = 1 <= length <= min(0xFF, self.max_payload)
        else:
            if len(buf) < 3:
                return None
            # The firmware accepts a long header for short payloads too; so does this decoder.
            header, length = 3, (buf[1] << 8) | buf[2]
            valid_length = 1 <= length <= self.max_payload
        if not valid_length:
            return self._skip_start()
        total = header + length + 3
        if len(buf) < total:
            return None
        payload = bytes(buf[header:header + length])
        crc = (buf[header + length] << 8) | buf[header + length + 1]
        if buf[total - 1] != END or crc != crc16_xmodem(payload):
            return self._skip_start()
        del buf[:total]
        return payload

    def _skip_start(self):
        del self._buf[:1]
        self.dropped += 1
        return _SKIPPED

    def expire(self) -> list[bytes]:
        """The line went quiet with a candidate frame unfinished: give it up (as the firmware's packet timeout does)
        and return the frames found in the bytes after its start byte."""
        if not self._buf:
            return []
        self._skip_start()
        return self.feed(b"")

    def pending(self) -> int:
        """Bytes held while waiting for the rest of a candidate frame."""
        return len(self._buf)


_SKIPPED = object()


def decode_all(data: bytes, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    """Every valid frame's payload found in `data`, a whole capture: its end counts as the line going quiet."""
    decoder = Decoder(max_payload)
    out = decoder.feed(data)
    while decoder.pending():
        out += decoder.expire()
    return out
