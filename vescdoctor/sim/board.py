"""A simulated board: a directory with board.yaml (physical state) and flash.bin (1 MiB), per shared/spec/board.md.

Loading validates every key and value (errors name the key, the value and what is allowed); saving is atomic
(temporary file, fsync, rename) so a crash or an unplug never leaves a torn flash.bin or board.yaml.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..knowledge.flash import FLASH_SIZE
from ..yamlfile import Located, load_file, where

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
CHIP_DEFAULT = {"dev_id": 0x413, "rev_id": 0x1007, "flash_kib": 1024}  # STM32F405RG rev 2 (RM0090 38.6.1)
PROBE_FIRMWARE_RE = re.compile(r"^V[1-3]J\d{1,3}([SMBP]\d{1,3}){0,3}$")  # ST-Link: V2J45S7, V2J40M27, V3J13M4
FAULT_KEYS = ("probe_unplug_after_bytes", "power_loss_after_erases", "stuck_bits", "swd_error_rate")


@dataclass
class OptionBytes:
    rdp: int = 0xAA  # 0xAA level 0, 0xCC level 2, anything else level 1
    wrp: list[int] = field(default_factory=list)  # write-protected sectors
    bor: int = 3  # BOR_LEV field (3 = off)

    @property
    def rdp_level(self) -> int:
        return 0 if self.rdp == 0xAA else 2 if self.rdp == 0xCC else 1


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
    chip: dict[str, int] = field(default_factory=lambda: dict(CHIP_DEFAULT))
    firmware_run_image: str | None = None  # sha256 of the image firmware_run applies to (sim/firmware_run.py)

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
        if self.chip != CHIP_DEFAULT:
            out["chip"] = dict(self.chip)
        return out


def _int(value: Any, key: str, at: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(f"key '{key}': value {value!r} is not allowed (expected an integer {lo}..{hi})", at)
    return value


def parse_config(data: Any, name: str, *, allow_partial: bool = False) -> BoardConfig:
    """Validate a board mapping (board.yaml, or a scenario's `board:`) into a BoardConfig."""
    if data is None and allow_partial:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of board fields, got {type(data).__name__}", where(name, data))
    config = BoardConfig()
    known = set(CHOICES) | {"hw", "nrst_wired", "option_bytes", "faults", "answers", "chip_seconds", "fault_code",
                            "probe_firmware", "chip", "firmware_run_image", "link_seconds", "modelled_seconds"}
    for key, value in data.items():
        at = where(name, data, key)
        if key not in known:
            raise InputError(f"unknown key '{key}' (allowed: {', '.join(sorted(known))})", at)
        if key in CHOICES:
            if key == "power" and isinstance(value, bool):
                value = "on" if value else "off"  # YAML 1.1 reads a bare on/off as a boolean
            if value not in CHOICES[key]:
                raise InputError(f"key '{key}': value {value!r} is not allowed "
                                 f"(expected one of: {', '.join(CHOICES[key])})", at)
            setattr(config, key, value)
        elif key == "hw":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)  # hw: 410 written without quotes
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"key 'hw': value {value!r} is not allowed (expected a HW name such as \"410\")", at)
            config.hw = value
        elif key == "nrst_wired":
            if not isinstance(value, bool):
                raise InputError(f"key 'nrst_wired': value {value!r} is not allowed (expected true or false)", at)
            config.nrst_wired = value
        elif key == "option_bytes":
            config.option_bytes = _parse_option_bytes(value, name)
        elif key == "faults":
            config.faults = _parse_faults(value, name)
        elif key == "answers":
            if value is None:
                value = {}
            if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, (str, int))
                                                      for k, v in value.items()):
                raise InputError("key 'answers': expected a mapping of question id to answer code", at)
            config.answers = {k: str(v) for k, v in value.items()}
            _check_answers(config.answers, value, name)
        elif key == "fault_code":
            config.fault_code = _int(value, "fault_code", at, 0, 33)
        elif key == "probe_firmware":
            if not isinstance(value, str) or not PROBE_FIRMWARE_RE.match(value):
                raise InputError(f"key 'probe_firmware': value {value!r} is not allowed (expected an ST-Link "
                                 "version string such as V2J45S7)", at)
            config.probe_firmware = value
        elif key == "chip":
            config.chip = _parse_chip(value, name)
        elif key == "firmware_run_image":
            if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
                raise InputError(f"key 'firmware_run_image': value {value!r} is not allowed (expected a sha256 in "
                                 "hex)", at)
            config.firmware_run_image = value
        elif key in ("chip_seconds", "link_seconds", "modelled_seconds"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise InputError(f"key '{key}': value {value!r} is not allowed (expected a number >= 0)", at)
            setattr(config, key, float(value))
    return config


def _check_answers(answers: dict[str, str], raw: Any, name: str) -> None:
    """The spec's questions (led, symptom) take their own codes only; other ids belong to a graph's own questions."""
    from ..knowledge.verdicts import answer_error

    for qid, code in answers.items():
        expected = answer_error(qid, code)
        if expected:
            raise InputError(f"key 'answers.{qid}': value {code!r} is not allowed ({expected})", where(name, raw, qid))


def _parse_chip(data: Any, name: str) -> dict[str, int]:
    if not isinstance(data, dict):
        raise InputError("key 'chip': expected a mapping with dev_id, rev_id, flash_kib", where(name, data))
    chip = dict(CHIP_DEFAULT)
    limits = {"dev_id": 0xFFF, "rev_id": 0xFFFF, "flash_kib": 0xFFFF}
    for key, value in data.items():
        if key not in limits:
            raise InputError(f"unknown key 'chip.{key}' (allowed: dev_id, flash_kib, rev_id)", where(name, data, key))
        chip[key] = _int(value, f"chip.{key}", where(name, data, key), 0, limits[key])
    return chip


def _parse_option_bytes(data: Any, name: str) -> OptionBytes:
    if data is None:
        return OptionBytes()
    if not isinstance(data, dict):
        raise InputError("key 'option_bytes': expected a mapping with rdp, wrp, bor", where(name, data))
    ob = OptionBytes()
    for key, value in data.items():
        at = where(name, data, key)
        if key == "rdp":
            ob.rdp = _int(value, "option_bytes.rdp", at, 0, 0xFF)
        elif key == "bor":
            ob.bor = _int(value, "option_bytes.bor", at, 0, 3)
        elif key == "wrp":
            if value is None:
                value = []
            if not isinstance(value, list):
                raise InputError(f"key 'option_bytes.wrp': value {value!r} is not allowed "
                                 "(expected a list of sector numbers 0..11)", at)
            ob.wrp = sorted({_int(v, "option_bytes.wrp", at, 0, 11) for v in value})
        else:
            raise InputError(f"unknown key 'option_bytes.{key}' (allowed: bor, rdp, wrp)", at)
    return ob


def _parse_faults(data: Any, name: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("key 'faults': expected a mapping", where(name, data))
    out: dict[str, Any] = {}
    for key, value in data.items():
        at = where(name, data, key)
        if key in ("probe_unplug_after_bytes", "power_loss_after_erases"):
            out[key] = _int(value, f"faults.{key}", at, 0, 1 << 32)
        elif key == "swd_error_rate":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise InputError(f"key 'faults.swd_error_rate': value {value!r} is not allowed "
                                 "(expected a fraction 0 <= x < 1)", at)
            out[key] = float(value)
        elif key == "stuck_bits":
            if not isinstance(value, list):
                raise InputError("key 'faults.stuck_bits': expected a list of {addr, value}", at)
            bits = []
            for item in value:
                if not isinstance(item, dict) or set(item) != {"addr", "value"}:
                    raise InputError("key 'faults.stuck_bits': each entry is {addr: ADDRESS, value: BYTE}",
                                     where(name, item) if isinstance(item, Located) else at)
                bits.append({"addr": _int(item["addr"], "faults.stuck_bits.addr", at, 0x08000000, 0x080FFFFF),
                             "value": _int(item["value"], "faults.stuck_bits.value", at, 0, 0xFF)})
            out[key] = bits
        else:
            raise InputError(f"unknown key 'faults.{key}' (allowed: {', '.join(FAULT_KEYS)})", at)
    return out


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
        try:
            flash = bytearray(flash_path.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", str(flash_path)) from None
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
