"""The marker block of synthetic images: what a generated image declares about itself.

Real VESC images carry no metadata header; their version and a bootloader's compression support can only be looked
up (by sha256, vescdoctor.knowledge.images_table). Images made by vescdoctor.sim.imagegen have no entry there, so
they declare those facts in one C string among their constant data, readable by `strings` and by parse_marker():

    "vescdoctor-synthetic-image:kind=firmware;version=5.03;size=393208;seed=0\\0"

Keys are lowercase identifiers; values are printable ASCII without ';', '=' or NUL. Typed keys (below) come back as
their type; any other key comes back as text. The HW name is *not* declared: generated firmware carries it where real
firmware does (a C string referenced from code), so HW detection runs the same code path on both.

A marker may vouch for the bytes before it, as a sha256 lookup vouches for a real image: `covers=N;crc32=XXXXXXXX`
(CRC-32 of data[0:N], data starting where the image starts). parse_marker() ignores a marker whose bytes no longer
match: a bootloader whose first bytes were overwritten is no longer that bootloader. Generated bootloaders use it;
generated firmware does not (a damaged firmware still shows its HW name and version in its code, as real ones do).
"""
from __future__ import annotations

import binascii
import re

MAGIC = b"vescdoctor-synthetic-image:"
MAX_MARKER = 512  # bytes after MAGIC, NUL included

# key -> type of its value; every other key is text
TYPED_KEYS: dict[str, type] = {
    "kind": str,  # "firmware" | "bootloader" | "update"
    "version": str,  # firmware version "M.mm", e.g. "5.03"
    "size": int,  # the image's length in bytes (release layouts 393208 / 524280 have CRC words)
    "seed": int,
    "compression": bool,  # bootloader: supports heatshrink-compressed updates (FW >= 6.00)
    "name": str,
    "date": str,  # YYYY-MM-DD
    "covers": int,  # the marker vouches for data[0:covers] ...
    "crc32": str,  # ... whose CRC-32 (zlib's) is this, 8 hex digits
}

_KEY_RE = re.compile(r"[a-z_][a-z0-9_]{0,31}")
_VALUE_RE = re.compile(r"[\x20-\x7e]{0,128}")


def _text(key: str, value: object) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError(f"marker value for {key!r} must be str, int or bool, got {type(value).__name__}")
    if not _VALUE_RE.fullmatch(text) or ";" in text or "=" in text:
        raise ValueError(f"marker value {text!r} for {key!r}: printable ASCII without ';' or '=' expected")
    return text


def make_marker(**props: object) -> bytes:
    """The marker C string (NUL-terminated) declaring `props`, in the order given."""
    fields = []
    for key, value in props.items():
        if not _KEY_RE.fullmatch(key):
            raise ValueError(f"marker key {key!r}: a lowercase identifier expected")
        expected = TYPED_KEYS.get(key)
        if expected is not None and not (isinstance(value, expected)
                                         and (expected is bool or not isinstance(value, bool))):
            raise ValueError(f"marker key {key!r} takes a {expected.__name__}, got {value!r}")
        fields.append(f"{key}={_text(key, value)}")
    body = MAGIC + ";".join(fields).encode("ascii") + b"\x00"
    if len(body) - len(MAGIC) > MAX_MARKER:
        raise ValueError("marker too long")
    return body


def _typed(key: str, text: str) -> object | None:
    expected = TYPED_KEYS.get(key)
    if expected is int:
        return int(text) if text.isdigit() else None
    if expected is bool:
        return {"yes": True, "no": False}.get(text)
    return text


def parse_marker(data: bytes) -> dict | None:
    """The properties declared by the first marker in `data`, or None (no marker, or one that does not parse)."""
    if isinstance(data, memoryview):
        data = data.tobytes()
    pos = data.find(MAGIC)
    if pos < 0:
        return None
    start = pos + len(MAGIC)
    end = data.find(b"\x00", start, start + MAX_MARKER)
    if end < 0:
        return None
    try:
        body = bytes(data[start:end]).decode("ascii")
    except UnicodeDecodeError:
        return None
    props: dict = {}
    for field in body.split(";") if body else []:
        key, sep, text = field.partition("=")
        if not sep or not _KEY_RE.fullmatch(key) or not _VALUE_RE.fullmatch(text):
            return None
        value = _typed(key, text)
        if value is None:
            return None
        props[key] = value
    if "covers" in props and not _intact(data, props):
        return None
    return props


def covering(data: bytes) -> dict:
    """The props that make a marker vouch for `data` (the image bytes before the marker)."""
    return {"covers": len(data), "crc32": f"{binascii.crc32(data):08x}"}


def _intact(data: bytes, props: dict) -> bool:
    covers = props["covers"]
    return len(data) >= covers and f"{binascii.crc32(data[:covers]):08x}" == props.get("crc32")
