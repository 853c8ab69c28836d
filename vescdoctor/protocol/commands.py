"""VESC command ids, request builders for the read-only commands, and length-tolerant reply parsers.

Sources: bldc:datatypes.h (COMM_PACKET_ID), bldc:comm/commands.c (replies), bldc:terminal.c (terminal text).

Safety: a diagnosis must never write, erase or reboot. `request()` is the only way this package builds a payload to
send, and it refuses every command outside SAFE_COMMANDS and every terminal line outside SAFE_TERMINAL_COMMANDS
(some terminal commands spin the motor or write the configuration). The ids that would brick or reset a board are
also named in NEVER_SEND, and an import-time check proves the two sets disjoint.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum


class Command(IntEnum):
    """The COMM_PACKET_ID values this project names (the enum in bldc:datatypes.h, in order from 0)."""

    FW_VERSION = 0
    JUMP_TO_BOOTLOADER = 1
    ERASE_NEW_APP = 2
    WRITE_NEW_APP_DATA = 3
    GET_VALUES = 4
    SET_DUTY = 5
    SET_CURRENT = 6
    SET_CURRENT_BRAKE = 7
    SET_RPM = 8
    SET_POS = 9
    SET_HANDBRAKE = 10
    SET_DETECT = 11
    SET_SERVO_POS = 12
    SET_MCCONF = 13
    GET_MCCONF = 14
    GET_MCCONF_DEFAULT = 15
    SET_APPCONF = 16
    GET_APPCONF = 17
    GET_APPCONF_DEFAULT = 18
    SAMPLE_PRINT = 19
    TERMINAL_CMD = 20
    PRINT = 21
    REBOOT = 29
    ALIVE = 30
    FORWARD_CAN = 34
    GET_VALUES_SELECTIVE = 50
    JUMP_TO_BOOTLOADER_ALL_CAN = 59
    ERASE_NEW_APP_ALL_CAN = 60
    WRITE_NEW_APP_DATA_ALL_CAN = 61
    ERASE_BOOTLOADER = 73
    ERASE_BOOTLOADER_ALL_CAN = 74
    WRITE_NEW_APP_DATA_LZO = 81
    WRITE_NEW_APP_DATA_ALL_CAN_LZO = 82


# What a diagnosis may send: reads only.
SAFE_COMMANDS = frozenset({Command.FW_VERSION, Command.GET_VALUES, Command.GET_VALUES_SELECTIVE,
                           Command.TERMINAL_CMD})
SAFE_TERMINAL_COMMANDS = frozenset({"faults", "hw_status"})
# What would start an update, erase flash or reset the chip (the brief's 1, 2, 3, 73, 81, 29 and their CAN twins).
NEVER_SEND = frozenset({Command.JUMP_TO_BOOTLOADER, Command.ERASE_NEW_APP, Command.WRITE_NEW_APP_DATA,
                        Command.ERASE_BOOTLOADER, Command.WRITE_NEW_APP_DATA_LZO, Command.REBOOT,
                        Command.JUMP_TO_BOOTLOADER_ALL_CAN, Command.ERASE_NEW_APP_ALL_CAN,
                        Command.WRITE_NEW_APP_DATA_ALL_CAN, Command.ERASE_BOOTLOADER_ALL_CAN,
                        Command.WRITE_NEW_APP_DATA_ALL_CAN_LZO, Command.FORWARD_CAN})
assert not SAFE_COMMANDS & NEVER_SEND


class UnsafeCommand(ValueError):
    """Raised when code tries to build a request a diagnosis must never send."""


def request(command: int, body: bytes = b"") -> bytes:
    """The payload of a request (frame it with packet.encode). Refuses anything outside the read-only allow-list."""
    if command not in SAFE_COMMANDS:
        name = Command(command).name if command in Command._value2member_map_ else str(command)
        raise UnsafeCommand(f"COMM {name} ({command}) is not a read-only command; a diagnosis never sends it")
    if command == Command.TERMINAL_CMD:
        line = body.decode("ascii", "replace").strip()
        if line not in SAFE_TERMINAL_COMMANDS:
            raise UnsafeCommand(f"terminal command {line!r} is not on the read-only list "
                                f"({', '.join(sorted(SAFE_TERMINAL_COMMANDS))})")
    return bytes((command,)) + bytes(body)


def fw_version_request() -> bytes:
    return request(Command.FW_VERSION)


def get_values_request() -> bytes:
    return request(Command.GET_VALUES)


def get_values_selective_request(mask: int) -> bytes:
    return request(Command.GET_VALUES_SELECTIVE, struct.pack(">I", mask & 0xFFFFFFFF))


def terminal_request(line: str) -> bytes:
    return request(Command.TERMINAL_CMD, line.encode("ascii"))


# ---------------------------------------------------------------------------------------------------------------
# COMM_FW_VERSION

HW_TYPES = {0: "vesc", 1: "bms", 2: "custom-module"}


@dataclass
class FwVersion:
    """A COMM_FW_VERSION reply, with None for every field the firmware's generation did not send."""

    major: int
    minor: int
    hw_name: str | None = None  # >= 3.7
    uuid: bytes | None = None  # 12 bytes, >= 3.9
    pairing_done: bool | None = None  # >= 3.48
    test_version: int | None = None  # >= 5.00; 0 = release
    hw_type: str | None = None  # >= 5.02: vesc | bms | custom-module | unknown-N
    custom_config_count: int | None = None  # >= 5.02
    has_phase_filters: bool | None = None  # >= 5.03 (release_5_03 commands.c:232-236)
    qml_hw: int | None = None  # >= 5.03: 0 none, 1 QML, 2 fullscreen QML
    qml_app: int | None = None  # >= 5.03
    nrf_flags: int | None = None  # >= 6.00: bit 0 name, bit 1 pin supported
    fw_name: str | None = None  # >= 6.00
    hw_config_crc: int | None = None  # >= 6.05: u32 (release_6_05 comm/commands.c:291, main_calc_hw_crc)
    extra: bytes = field(default=b"", repr=False)  # bytes after the last field known here (newer firmware)

    @property
    def version(self) -> str:
        """As VESC Tool writes it: 5.03, 6.02, 3.40."""
        return f"{self.major}.{self.minor:02d}"

    @property
    def uuid_hex(self) -> str | None:
        return self.uuid.hex() if self.uuid is not None else None


class ReplyError(ValueError):
    """A reply too short or of the wrong command to parse at all."""


def _check(payload: bytes, command: Command, minimum: int) -> None:
    if not payload or payload[0] != command:
        got = payload[0] if payload else "nothing"
        raise ReplyError(f"expected a COMM_{command.name} reply, got command {got}")
    if len(payload) < minimum:
        raise ReplyError(f"COMM_{command.name} reply of {len(payload)} bytes is too short (at least {minimum})")


def _cstring(data: bytes, pos: int) -> tuple[str, int]:
    """A NUL-terminated string at pos (or the rest, when a truncated reply lost the NUL); returns (text, next pos)."""
    end = data.find(b"\0", pos)
    if end < 0:
        end = len(data)
    return data[pos:end].decode("latin-1"), min(end + 1, len(data))


def parse_fw_version(payload: bytes) -> FwVersion:
    """Parse a COMM_FW_VERSION reply (command byte included) of any generation, as far as it goes.

    As VESC Tool does (vesc_tool commands.cpp:109-171): each field is read when enough bytes remain for it, whatever
    the version says (5.03 already sends phase filters and the QML flags; 6.05+ appends the hardware-config CRC).
    """
    _check(payload, Command.FW_VERSION, 3)
    fw = FwVersion(payload[1], payload[2])
    data, pos = payload, 3
    if pos >= len(data):
        return fw
    fw.hw_name, pos = _cstring(data, pos)
    if pos + 12 > len(data):
        fw.extra = data[pos:]
        return fw
    fw.uuid, pos = bytes(data[pos:pos + 12]), pos + 12

    def take(size: int) -> bytes | None:
        nonlocal pos
        if pos + size > len(data):
            return None
        pos += size
        return bytes(data[pos - size:pos])

    def byte() -> int | None:
        got = take(1)
        return None if got is None else got[0]

    pairing = byte()
    fw.pairing_done = None if pairing is None else bool(pairing)
    fw.test_version = byte()
    hw_type = byte()
    fw.hw_type = None if hw_type is None else HW_TYPES.get(hw_type, f"unknown-{hw_type}")
    fw.custom_config_count = byte()
    filters = byte()
    fw.has_phase_filters = None if filters is None else bool(filters)
    qml = take(2)  # VESC Tool reads both QML flags or neither
    if qml is not None:
        fw.qml_hw, fw.qml_app = qml[0], qml[1]
    fw.nrf_flags = byte()
    if pos < len(data):
        fw.fw_name, pos = _cstring(data, pos)
    crc = take(4)
    if crc is not None:
        fw.hw_config_crc = struct.unpack(">I", crc)[0]
    fw.extra = bytes(data[pos:])
    return fw


# ---------------------------------------------------------------------------------------------------------------
# COMM_GET_VALUES

# (name, struct format, scale) in the order of bldc:commands.c; scale None = integer as sent.
VALUE_FIELDS: tuple[tuple[str, str, float | None], ...] = (
    ("temp_fet", ">h", 1e1), ("temp_motor", ">h", 1e1),
    ("current_motor", ">i", 1e2), ("current_in", ">i", 1e2), ("id", ">i", 1e2), ("iq", ">i", 1e2),
    ("duty", ">h", 1e3), ("rpm", ">i", 1e0), ("v_in", ">h", 1e1),
    ("amp_hours", ">i", 1e4), ("amp_hours_charged", ">i", 1e4),
    ("watt_hours", ">i", 1e4), ("watt_hours_charged", ">i", 1e4),
    ("tachometer", ">i", None), ("tachometer_abs", ">i", None),
    ("fault_code", ">B", None),
    ("pid_pos", ">i", 1e6), ("controller_id", ">B", None),
    ("temp_mos1", ">h", 1e1), ("temp_mos2", ">h", 1e1), ("temp_mos3", ">h", 1e1),
    ("vd", ">i", 1e3), ("vq", ">i", 1e3), ("status", ">B", None),
)

# bldc:datatypes.h mc_fault_code, as mc_interface_fault_to_string names them.
FAULT_NAMES = {
    0: "FAULT_CODE_NONE", 1: "FAULT_CODE_OVER_VOLTAGE", 2: "FAULT_CODE_UNDER_VOLTAGE", 3: "FAULT_CODE_DRV",
    4: "FAULT_CODE_ABS_OVER_CURRENT", 5: "FAULT_CODE_OVER_TEMP_FET", 6: "FAULT_CODE_OVER_TEMP_MOTOR",
    7: "FAULT_CODE_GATE_DRIVER_OVER_VOLTAGE", 8: "FAULT_CODE_GATE_DRIVER_UNDER_VOLTAGE",
    9: "FAULT_CODE_MCU_UNDER_VOLTAGE", 10: "FAULT_CODE_BOOTING_FROM_WATCHDOG_RESET",
    11: "FAULT_CODE_ENCODER_SPI", 12: "FAULT_CODE_ENCODER_SINCOS_BELOW_MIN_AMPLITUDE",
    13: "FAULT_CODE_ENCODER_SINCOS_ABOVE_MAX_AMPLITUDE", 14: "FAULT_CODE_FLASH_CORRUPTION",
    15: "FAULT_CODE_HIGH_OFFSET_CURRENT_SENSOR_1", 16: "FAULT_CODE_HIGH_OFFSET_CURRENT_SENSOR_2",
    17: "FAULT_CODE_HIGH_OFFSET_CURRENT_SENSOR_3", 18: "FAULT_CODE_UNBALANCED_CURRENTS",
    19: "FAULT_CODE_BRK", 20: "FAULT_CODE_RESOLVER_LOT", 21: "FAULT_CODE_RESOLVER_DOS",
    22: "FAULT_CODE_RESOLVER_LOS", 23: "FAULT_CODE_FLASH_CORRUPTION_APP_CFG",
    24: "FAULT_CODE_FLASH_CORRUPTION_MC_CFG", 25: "FAULT_CODE_ENCODER_NO_MAGNET",
    26: "FAULT_CODE_ENCODER_MAGNET_TOO_STRONG", 27: "FAULT_CODE_PHASE_FILTER", 28: "FAULT_CODE_ENCODER_FAULT",
    29: "FAULT_CODE_LV_OUTPUT_FAULT", 30: "FAULT_CODE_ENCODER_SLIP", 31: "FAULT_CODE_OVERSPEED",
    32: "FAULT_CODE_UNDERSPEED", 33: "FAULT_CODE_ABS_OVERSPEED",
}
# The highest fault code each release defines (mc_fault_code, no explicit values after NONE = 0): release_5_03
# datatypes.h:120-146 (0-26), release_6_00 :131-160 .. release_6_06 (0-29), release_7_00 :145-178 (0-33).
FAULT_CODES_UP_TO = ((5, 3, 26), (6, 0, 29), (7, 0, 33))


def fault_name(code: int | None, version: str | None = None) -> str | None:
    """The mc_fault_code name of `code`; with the firmware's `version`, a code that version does not define says so."""
    if code is None:
        return None
    name = FAULT_NAMES.get(code, f"FAULT_CODE_{code}")
    highest = max_fault_code(version)
    if highest is not None and code > highest:
        return f"{name} (not defined in FW {version})"
    return name


def max_fault_code(version: str | None) -> int | None:
    """The highest fault code firmware `version` defines (None: unknown, or older than the releases read)."""
    try:
        major, minor = (int(p) for p in str(version).split(".")[:2])
    except (TypeError, ValueError):
        return None
    found = None
    for ma, mi, top in FAULT_CODES_UP_TO:
        if (major, minor) >= (ma, mi):
            found = top
    return found


# After the first 16 fields, VESC Tool reads each group only when that many bytes remain (commands.cpp:234-287):
# pid_pos (4), controller_id (1), the three MOSFET temperatures (6), vd and vq together (8), status (1).
VALUE_GROUPS: tuple[tuple[str, ...], ...] = (("pid_pos",), ("controller_id",), ("temp_mos1", "temp_mos2", "temp_mos3"),
                                             ("vd", "vq"), ("status",))


def parse_get_values(payload: bytes) -> dict[str, float | int]:
    """Parse a COMM_GET_VALUES reply by its length, as VESC Tool does: the first 16 fields as far as they go, then
    each later group only when its bytes are all there; absent fields are left out."""
    _check(payload, Command.GET_VALUES, 1)
    formats = {name: (fmt, scale) for name, fmt, scale in VALUE_FIELDS}
    values: dict[str, float | int] = {}
    pos = 1
    for index, group in enumerate([(name,) for name, _, _ in VALUE_FIELDS[:16]] + list(VALUE_GROUPS)):
        size = sum(struct.calcsize(formats[name][0]) for name in group)
        if pos + size > len(payload):
            if index < 16:
                break  # a reply cut inside the fixed fields
            continue
        for name in group:
            fmt, scale = formats[name]
            (raw,) = struct.unpack_from(fmt, payload, pos)
            pos += struct.calcsize(fmt)
            values[name] = raw if scale is None else raw / scale
    return values


def get_values_fields(version: tuple[int, int]) -> int:
    """How many VALUE_FIELDS a firmware version sends in COMM_GET_VALUES (the bench's firmware side): through
    controller_id before 3.48, the MOSFET temperatures from 3.48, vd/vq from 3.60, status from 5.03
    (../shared/reference/vesc-stm32.md, checked against upstream; release_5_03 commands.c COMM_GET_VALUES)."""
    if version < (3, 48):
        return 18
    if version < (3, 60):
        return 21
    return 23 if version < (5, 3) else 24


def build_get_values(values: dict[str, float | int], fields: int = len(VALUE_FIELDS)) -> bytes:
    """A COMM_GET_VALUES reply with the first `fields` fields (missing values are 0): the bench's firmware side."""
    out = bytearray((Command.GET_VALUES,))
    for name, fmt, scale in VALUE_FIELDS[:fields]:
        value = values.get(name, 0)
        out += struct.pack(fmt, int(round(value * scale)) if scale is not None else int(value))
    return bytes(out)


# COMM_GET_VALUES_SELECTIVE: mask bit -> the VALUE_FIELDS it selects (bit 18 selects the three MOSFET temperatures).
SELECTIVE_BITS: tuple[tuple[str, ...], ...] = tuple(
    (name,) for name, _, _ in VALUE_FIELDS[:18]) + (("temp_mos1", "temp_mos2", "temp_mos3"), ("vd",), ("vq",),
                                                     ("status",))


def parse_get_values_selective(payload: bytes) -> dict[str, float | int]:
    """Parse a COMM_GET_VALUES_SELECTIVE reply (u32 mask, then the selected fields in order), as far as it goes."""
    _check(payload, Command.GET_VALUES_SELECTIVE, 5)
    (mask,) = struct.unpack_from(">I", payload, 1)
    formats = {name: (fmt, scale) for name, fmt, scale in VALUE_FIELDS}
    values: dict[str, float | int] = {}
    pos = 5
    for bit, names in enumerate(SELECTIVE_BITS):
        if not mask & (1 << bit):
            continue
        for name in names:
            fmt, scale = formats[name]
            size = struct.calcsize(fmt)
            if pos + size > len(payload):
                return values
            (raw,) = struct.unpack_from(fmt, payload, pos)
            pos += size
            values[name] = raw if scale is None else raw / scale
    return values


def build_get_values_selective(values: dict[str, float | int], mask: int) -> bytes:
    """A COMM_GET_VALUES_SELECTIVE reply for `mask` (the bench's firmware side)."""
    formats = {name: (fmt, scale) for name, fmt, scale in VALUE_FIELDS}
    out = bytearray((Command.GET_VALUES_SELECTIVE,)) + struct.pack(">I", mask & 0xFFFFFFFF)
    for bit, names in enumerate(SELECTIVE_BITS):
        if mask & (1 << bit):
            for name in names:
                fmt, scale = formats[name]
                value = values.get(name, 0)
                out += struct.pack(fmt, int(round(value * scale)) if scale is not None else int(value))
    return bytes(out)


def parse_print(payload: bytes) -> str:
    """The text of a COMM_PRINT packet (what the terminal printed), undecodable bytes replaced."""
    _check(payload, Command.PRINT, 1)
    return payload[1:].decode("utf-8", "replace")
