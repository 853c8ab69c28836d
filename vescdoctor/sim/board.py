"""A simulated board: a directory with board.yaml (physical state) and flash.bin (1 MiB), per shared/spec/board.md.

Loading validates every key and value (errors name the key, the value and what is allowed); saving is atomic
(temporary file, fsync, rename) so a crash or an unplug never leaves a torn flash.bin or board.yaml.
"""
from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..knowledge.flash import FLASH_SIZE
from ..yamlfile import Field, Located, load_file, read_mapping, where

BOARD_FILE = "board.yaml"
FLASH_FILE = "flash.bin"
STATE_FILE = "chip-state.bin"  # what the powered chip keeps between commands (sim/chip_state.py)

CHOICES = {
    "power": ("on", "off"),
    "swd": ("ok", "miswired", "needs-reset", "dead"),
    "probe": ("stlink-v2", "stlink-v2-1", "stlink-v3", "cmsis-dap", "none"),
    "usb": ("data", "charge-only", "unplugged"),
    "host": ("ok", "no-permission", "port-busy"),
    "boot0": ("low", "high"),
    "firmware_run": ("runs", "hardfault", "lockup", "watchdog-loop", "hang"),
    "run_cause": ("config", "lisp", "code"),
}
PROBE_FIRMWARE_RE = re.compile(r"^V[1-3]J\d{1,3}([SMBP]\d{1,3}){0,3}$")  # ST-Link: V2J45S7, V2J40M27, V3J13M4
FAULT_KEYS = ("probe_unplug_after_bytes", "power_loss_after_erases", "stuck_bits", "swd_error_rate",
              "usb_unplug_after_bytes")


@dataclass
class OptionBytes:
    rdp: int = 0xAA  # 0xAA level 0, 0xCC level 2, anything else level 1
    wrp: list[int] = field(default_factory=list)  # write-protected sectors
    bor: int = 3  # BOR_LEV field (3 = off)

    @property
    def rdp_level(self) -> int:
        return 0 if self.rdp == 0xAA else 2 if self.rdp == 0xCC else 1


@dataclass
class ChipIdentity:
    """What the debugger reads as the chip's identity (spec board.md `chip:`): other values model clones and other
    MCUs. DBGMCU_IDCODE = REV_ID << 16 | DEV_ID; the flash size register at 0x1FFF7A22 reads flash_kib."""

    dev_id: int = 0x413
    rev_id: int = 0x1007
    flash_kib: int = 1024

    def as_dict(self) -> dict[str, int]:
        return {"dev_id": self.dev_id, "rev_id": self.rev_id, "flash_kib": self.flash_kib}

    @property
    def idcode(self) -> int:
        # bits 15:12 are reserved and read 0x6 on the F4 parts (an F405 reads 0x10076413)
        return (self.rev_id & 0xFFFF) << 16 | 0x6000 | (self.dev_id & 0xFFF)


@dataclass
class BoardConfig:
    """Everything in board.yaml, typed. Defaults are those of the spec."""

    hw: str = "410"
    power: str = "on"
    swd: str = "ok"
    nrst_wired: bool = True
    probe: str = "stlink-v2"
    usb: str = "data"
    host: str = "ok"
    boot0: str = "low"
    option_bytes: OptionBytes = field(default_factory=OptionBytes)
    faults: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    chip: ChipIdentity = field(default_factory=ChipIdentity)
    # Seconds the real chip would have spent erasing and programming, summed over this board's life (the bench's
    # simulated clock). Written back by the bench; benchmarks read it.
    chip_seconds: float = 0.0
    # Probe-link and modelled seconds (chip and link overlapped, plus modelled waits), summed the same way: what
    # every command run on this board would have cost on the real pair (docs/bench.md, "Time").
    link_seconds: float = 0.0
    modelled_seconds: float = 0.0
    firmware_run: str = "runs"  # what a runnable VESC image does when started (board.md, "More board fields")
    run_cause: str = "code"  # what makes it crash: config | lisp | code
    fault_code: int = 0  # the active fault code a running firmware reports
    probe_firmware: str | None = None  # the probe's firmware version string; None: the probe model's own
    firmware_run_image: str | None = None  # sha256 of the image firmware_run applies to (sim/firmware_run.py)
    # The highest SWD clock the wiring carries cleanly (long or loose wires); above it every SWD transfer fails
    # with the probe's parity/protocol error (docs/bench.md, "Wiring and the SWD clock"). None: any clock.
    swd_max_khz: int | None = None

    def to_yaml_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "hw": self.hw, "power": self.power, "swd": self.swd, "nrst_wired": self.nrst_wired,
            "probe": self.probe, "usb": self.usb, "host": self.host, "boot0": self.boot0,
            "option_bytes": {"rdp": self.option_bytes.rdp, "wrp": list(self.option_bytes.wrp),
                             "bor": self.option_bytes.bor},
            "faults": dict(self.faults),
        }
        if self.answers:
            out["answers"] = dict(self.answers)
        for key in ("chip_seconds", "link_seconds", "modelled_seconds"):
            if getattr(self, key):
                out[key] = round(getattr(self, key), 6)
        if self.firmware_run != "runs" or self.run_cause != "code":
            out["firmware_run"], out["run_cause"] = self.firmware_run, self.run_cause
        if self.firmware_run_image is not None:
            out["firmware_run_image"] = self.firmware_run_image
        if self.fault_code:
            out["fault_code"] = self.fault_code
        if self.probe_firmware is not None:
            out["probe_firmware"] = self.probe_firmware
        if self.swd_max_khz is not None:
            out["swd_max_khz"] = self.swd_max_khz
        if self.chip != ChipIdentity():
            out["chip"] = self.chip.as_dict()
        return out


def _int(value: Any, key: str, at: str, lo: int, hi: int) -> int:
    if not _is_int(value, lo, hi):
        raise InputError(f"key '{key}': value {value!r} is not allowed (expected an integer {lo}..{hi})", at)
    return value


def _is_int(value: Any, lo: int, hi: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and lo <= value <= hi


def _is_number(value: Any, lo: float, below: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and lo <= value < below


# -- what board.yaml holds (spec/board.md), declared for yamlfile.read_mapping ---------------------------------------

def _not_allowed(key: str, expected: str) -> Callable[[Any], str]:
    return lambda value: f"key '{key}': value {value!r} is not allowed ({expected})"


def _choice(key: str, convert: Callable[[Any], Any] | None = None) -> Field:
    return Field(lambda v: v in CHOICES[key], _not_allowed(key, f"expected one of: {', '.join(CHOICES[key])}"),
                 convert=convert)


def _integer(key: str, lo: int, hi: int) -> Field:
    return Field(lambda v: _is_int(v, lo, hi), _not_allowed(key, f"expected an integer {lo}..{hi}"))


def _on_off(value: Any) -> Any:
    return ("on" if value else "off") if isinstance(value, bool) else value  # YAML 1.1 reads a bare on/off as bool


def _hw_text(value: Any) -> Any:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value  # hw: 410


def _board_fields(name: str) -> dict[str, Field]:
    return {
        "hw": Field(lambda v: isinstance(v, str) and bool(v.strip()) and len(v) <= 39 and v.isprintable(),
                    lambda v: f"key 'hw': value {v[:40] if isinstance(v, str) else v!r} is not allowed (expected a "
                              'HW name such as "410", 1..39 printable characters)', convert=_hw_text),
        **{key: _choice(key) for key in CHOICES}, "power": _choice("power", convert=_on_off),
        "nrst_wired": Field(lambda v: isinstance(v, bool), _not_allowed("nrst_wired", "expected true or false")),
        "option_bytes": Field(lambda v: True, "", convert=lambda v: _parse_option_bytes(v, name)),
        "faults": Field(lambda v: True, "", convert=lambda v: _parse_faults(v, name)),
        "answers": Field(lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, (str, int))
                                                               for k, x in v.items()),
                         lambda v: "key 'answers': expected a mapping of question id to answer code",
                         convert=lambda v: Located() if v is None else v),
        "fault_code": _integer("fault_code", 0, 33),
        "swd_max_khz": _integer("swd_max_khz", 1, 100_000),
        "probe_firmware": Field(lambda v: isinstance(v, str) and bool(PROBE_FIRMWARE_RE.match(v)),
                                _not_allowed("probe_firmware", "expected an ST-Link version string such as V2J45S7")),
        "chip": Field(lambda v: True, "", convert=lambda v: _parse_chip(v, name, where(name, v))),
        "firmware_run_image": Field(lambda v: isinstance(v, str) and bool(re.fullmatch(r"[0-9a-f]{64}", v)),
                                    _not_allowed("firmware_run_image", "expected a sha256 in hex")),
        # NaN compares false with everything and .inf is not below inf: both refused
        **{key: Field(lambda v: _is_number(v, 0, math.inf), _not_allowed(key, "expected a finite number >= 0"))
           for key in ("chip_seconds", "link_seconds", "modelled_seconds")},
    }


def parse_config(data: Any, name: str, *, allow_partial: bool = False) -> BoardConfig:
    """Validate a board mapping (board.yaml, or a scenario's `board:`) into a BoardConfig."""
    if data is None and allow_partial:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of board fields, got {type(data).__name__}", where(name, data))
    fields = _board_fields(name)
    values = read_mapping(data, fields, f"unknown key '{{key}}' (allowed: {', '.join(sorted(fields))})",
                          lambda message, key: InputError(message, where(name, data, key)))
    config = BoardConfig(**{key: values[key] for key in data if key != "answers"})
    if "answers" in data:
        config.answers = {k: str(v) for k, v in values["answers"].items()}
        _check_answers(config.answers, values["answers"], name)
    for key in ("chip_seconds", "link_seconds", "modelled_seconds"):
        if key in data:
            setattr(config, key, float(values[key]))
    return config


def _parse_chip(value: Any, name: str, at: str) -> ChipIdentity:
    if not isinstance(value, dict):
        raise InputError("key 'chip': expected a mapping {dev_id, rev_id, flash_kib}", at)
    chip = ChipIdentity()
    limits = {"dev_id": 0xFFF, "rev_id": 0xFFFF, "flash_kib": 0xFFFF}
    for key, item in value.items():
        if key not in limits:
            raise InputError(f"unknown key 'chip.{key}' (allowed: {', '.join(limits)})", where(name, value, key))
        setattr(chip, key, _int(item, f"chip.{key}", where(name, value, key), 0, limits[key]))
    return chip


def _check_answers(answers: dict[str, str], raw: Any, name: str) -> None:
    """The spec's questions (led, symptom) take their own codes only; other ids belong to a graph's own questions."""
    from ..knowledge.verdicts import answer_error

    for qid, code in answers.items():
        expected = answer_error(qid, code)
        if expected:
            raise InputError(f"key 'answers.{qid}': value {code!r} is not allowed ({expected})", where(name, raw, qid))


_OPTION_BYTES = {
    "rdp": _integer("option_bytes.rdp", 0, 0xFF), "bor": _integer("option_bytes.bor", 0, 3),
    "wrp": Field(lambda v: isinstance(v, list),
                 _not_allowed("option_bytes.wrp", "expected a list of sector numbers 0..11"),
                 convert=lambda v: [] if v is None else v),
}
_FAULTS = {
    "probe_unplug_after_bytes": _integer("faults.probe_unplug_after_bytes", 0, 1 << 32),
    "power_loss_after_erases": _integer("faults.power_loss_after_erases", 0, 1 << 32),
    "usb_unplug_after_bytes": _integer("faults.usb_unplug_after_bytes", 0, 1 << 32),
    "stuck_bits": Field(lambda v: isinstance(v, list), lambda v: "key 'faults.stuck_bits': expected a list of "
                                                                 "{addr, value}"),
    "swd_error_rate": Field(lambda v: _is_number(v, 0, 1),
                            _not_allowed("faults.swd_error_rate", "expected a fraction 0 <= x < 1")),
}


def _parse_option_bytes(data: Any, name: str) -> OptionBytes:
    if data is None:
        return OptionBytes()
    if not isinstance(data, dict):
        raise InputError("key 'option_bytes': expected a mapping with rdp, wrp, bor", where(name, data))
    values = read_mapping(data, _OPTION_BYTES, "unknown key 'option_bytes.{key}' (allowed: bor, rdp, wrp)",
                          lambda message, key: InputError(message, where(name, data, key)))
    ob = OptionBytes(**{key: values[key] for key in data})
    wrp_at = where(name, data, "wrp")
    ob.wrp = sorted({_int(v, "option_bytes.wrp", wrp_at, 0, 11) for v in ob.wrp})
    return ob


def _parse_faults(data: Any, name: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("key 'faults': expected a mapping", where(name, data))
    values = read_mapping(data, _FAULTS, f"unknown key 'faults.{{key}}' (allowed: {', '.join(FAULT_KEYS)})",
                          lambda message, key: InputError(message, where(name, data, key)))
    out = {key: values[key] for key in data}
    if "swd_error_rate" in out:
        out["swd_error_rate"] = float(out["swd_error_rate"])
    if "stuck_bits" in out:
        out["stuck_bits"] = _stuck_bits(out["stuck_bits"], name, where(name, data, "stuck_bits"))
    return out


def _stuck_bits(entries: list, name: str, at: str) -> list[dict[str, int]]:
    bits = []
    for item in entries:
        if not isinstance(item, dict) or set(item) != {"addr", "value"}:
            raise InputError("key 'faults.stuck_bits': each entry is {addr: ADDRESS, value: BYTE}",
                             where(name, item) if isinstance(item, Located) else at)
        bits.append({"addr": _int(item["addr"], "faults.stuck_bits.addr", at, 0x08000000, 0x080FFFFF),
                     "value": _int(item["value"], "faults.stuck_bits.value", at, 0, 0xFF)})
    return bits


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never a torn one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class Board:
    """A board directory loaded into memory: `config` and `flash` (bytearray of exactly 1 MiB).

    The bench mutates `flash` and `config` in place and calls save() when the board's state should persist.
    """

    def __init__(self, path: Path, config: BoardConfig, flash: bytearray):
        self.path = Path(path)
        self.config = config
        self.flash = flash

    @classmethod
    def load(cls, path: str | Path) -> Board:
        path = Path(path)
        if not path.is_dir():
            raise InputError("not a board directory (expected a directory with board.yaml and flash.bin)", str(path))
        yaml_path, flash_path = path / BOARD_FILE, path / FLASH_FILE
        config = parse_config(load_file(yaml_path), str(yaml_path))
        from ..safeio import read_bounded  # a regular file, capped: flash.bin linked to /dev/zero is refused

        flash = bytearray(read_bounded(flash_path, FLASH_SIZE, "the board's 1 MiB flash image"))
        if len(flash) != FLASH_SIZE:
            raise InputError(f"is {len(flash)} bytes, expected exactly {FLASH_SIZE} (1 MiB)", str(flash_path))
        return cls(path, config, flash)

    @classmethod
    def create(cls, path: str | Path, config: BoardConfig, flash: bytes | bytearray) -> Board:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        board = cls(path, config, bytearray(flash))
        (path / STATE_FILE).unlink(missing_ok=True)  # a new board: its chip has not run yet
        board.save()
        return board

    def save(self) -> None:
        """Write board.yaml and flash.bin back, each atomically."""
        if len(self.flash) != FLASH_SIZE:
            raise ValueError("flash image must stay exactly 1 MiB")
        atomic_write(self.path / FLASH_FILE, bytes(self.flash))
        text = yaml.safe_dump(self.config.to_yaml_dict(), sort_keys=False, default_flow_style=None)
        atomic_write(self.path / BOARD_FILE, text.encode())
