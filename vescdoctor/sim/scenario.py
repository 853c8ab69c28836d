"""Scenario files (shared/spec/board.md, "Scenario files"): a board's fields, a flash layout, what a diagnosis concludes.

    load_scenario(path) -> Scenario         validated; every error is one InputError naming FILE:LINE
    build_board(scenario, board_dir, force=False) -> Board
    builtin_scenarios() -> list[Scenario]   the YAML files in vescdoctor/sim/scenarios/
    find_scenario(name_or_path) -> Scenario

Flash operations apply in order to an all-0xFF flash. Besides the forms of the spec (file, erase, fill, hex) a
scenario can lay out images this project generates (vescdoctor.sim.imagegen), so it needs no file at all:
    {at: 0x08000000, generate: firmware, hw: "410", version: "5.03", size: release5}
    {at: 0x080E0000, generate: bootloader, compression: true}
    {at: 0x08080000, generate: update, hw: "410", version: "6.05"}     VESC Tool's buffer: header + image
    {at: 0x080E0000, generate: garbage, size: 0x100}
    {at: 0x08000000, generate: other-app}                              a runnable app that is not VESC firmware
    {at: 0x08080000, generate: lispbm-image}                           FW 6.06+: a LispBM image in sector 8
    {at: 0x080F0000, generate: package-data, size: 0x800}              FW 6.06+: package storage in sector 11
docs/scenarios.md describes every key.
"""
from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..knowledge.flash import FLASH_BASE, FLASH_END, FLASH_SIZE
from ..knowledge.verdicts import VERDICT_CODES, answer_error
from ..yamlfile import ANY, Field, Located, load_file, read_mapping, where
from . import imagegen
from .board import BOARD_FILE, FLASH_FILE, Board, BoardConfig, parse_config
from .boot import power_on_reset

TOP_KEYS = ("name", "description", "board", "flash", "boot", "after_boot", "answers", "expect")
ACTIONS = ("file", "erase", "fill", "hex", "generate")
# action -> the keys an op of that action may carry besides `at` and the action itself
OP_KEYS = {"file": (), "erase": (), "fill": ("size",), "hex": (), "generate": ()}
GENERATORS = {
    "firmware": ("hw", "version", "size", "gap", "seed", "layout"),
    "update": ("hw", "version", "size", "gap", "seed", "layout"),
    "bootloader": ("compression", "seed"),
    "garbage": ("size", "seed"),
    "other-app": ("size", "seed"),
    "lispbm-image": ("version", "seed"),
    "lispbm-code": ("seed",),
    "package-data": ("size", "seed"),
}
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_HEX_RE = re.compile(r"[0-9a-fA-F\s]*")
MAX_FILE = FLASH_SIZE


@dataclass(frozen=True)
class FlashOp:
    at: int
    data: bytes  # what the op writes (0xFF for an erase)
    describe: str  # e.g. "generate firmware 410 5.03 (393208 bytes)"
    where: str  # FILE:LINE of the op

    @property
    def end(self) -> int:
        return self.at + len(self.data)


@dataclass(frozen=True)
class Expectation:
    verdict: str
    findings: tuple[str, ...]


@dataclass
class Scenario:
    name: str
    description: str
    config: BoardConfig  # `board:` with the scenario's `answers:` merged in
    flash: list[FlashOp]
    boot: bool
    after_boot: list[FlashOp]
    expect: Expectation | None
    path: Path | None = None
    builtin: bool = False
    answers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- validation helpers

def _fail(message: str, at: str) -> InputError:
    return InputError(message, at)


def _integer(value: Any, key: str, at: str, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(f"key '{key}': value {value!r} is not allowed (expected {what})", at)
    return value


def _text(value: Any, key: str, at: str, what: str = "a text") -> str:
    if not isinstance(value, str):
        raise _fail(f"key '{key}': value {value!r} is not allowed (expected {what})", at)
    return value


def _check_keys(data: Located, allowed: tuple[str, ...], name: str, context: str) -> None:
    _read(data, dict.fromkeys(allowed, ANY), name, context)


def _read(data: Located, fields: dict[str, Field], name: str, context: str) -> dict[str, Any]:
    """yamlfile.read_mapping with this file's wording: `{context}unknown key ...` at the key's line."""
    return read_mapping(data, fields, f"{context}unknown key '{{key}}' (allowed: {', '.join(fields)})",
                        lambda message, key: _fail(message, where(name, data, key)))


def _not_allowed(key: str, expected: str) -> Any:
    return lambda value: f"key '{key}': value {value!r} is not allowed ({expected})"


def _scenario_fields(name: str) -> dict[str, Field]:
    """The top level of a scenario file; board, flash, after_boot, answers and expect are read by their own code."""
    fields = dict.fromkeys(TOP_KEYS, ANY)
    fields["name"] = Field(lambda v: isinstance(v, str) and bool(_NAME_RE.fullmatch(v)),
                           _not_allowed("name", "expected lowercase letters, digits and '-', e.g. bricked-update"),
                           default=Path(name).stem)
    fields["description"] = Field(lambda v: isinstance(v, str), _not_allowed("description", "expected a text"),
                                  default="")
    fields["boot"] = Field(lambda v: isinstance(v, bool), _not_allowed("boot", "expected true or false"),
                           default=False)
    return fields


# ---------------------------------------------------------------- flash operations

def _parse_ops(data: Any, name: str, key: str, parent: Located, base_dir: Path, board_hw: str) -> list[FlashOp]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise _fail(f"key '{key}': expected a list of flash operations", where(name, parent, key))
    ops = []
    for index, item in enumerate(data):
        context = f"{key}[{index}]: "
        if not isinstance(item, Located):
            raise _fail(f"{context}expected a mapping such as {{at: 0x08000000, file: IMAGE.bin}}, got {item!r}",
                        where(name, parent, key))
        ops.append(_parse_op(item, name, context, base_dir, board_hw))
    return ops


def _parse_op(item: Located, name: str, context: str, base_dir: Path, board_hw: str) -> FlashOp:
    at_line = where(name, item)
    actions = [a for a in ACTIONS if a in item]
    if len(actions) != 1:
        found = f"found {', '.join(actions)}" if actions else "found none"
        raise _fail(f"{context}each operation takes exactly one of {', '.join(ACTIONS)} ({found})", at_line)
    action = actions[0]
    if "at" not in item:
        raise _fail(f"{context}missing key 'at' (the flash address to write at)", at_line)
    at = _integer(item["at"], "at", where(name, item, "at"), FLASH_BASE, FLASH_END - 1,
                  f"a flash address 0x{FLASH_BASE:08X}..0x{FLASH_END - 1:08X}")
    if action == "generate" and (not isinstance(item["generate"], str) or item["generate"] not in GENERATORS):
        raise _fail(f"key 'generate': value {item['generate']!r} is not allowed "
                    f"(expected one of: {', '.join(GENERATORS)})", where(name, item, "generate"))
    extra = OP_KEYS[action] if action != "generate" else GENERATORS[item["generate"]]
    _check_keys(item, ("at", action) + extra, name, context)
    value = item[action]
    vat = where(name, item, action)

    if action == "file":
        data, describe = _read_file(_text(value, "file", vat, "a file name"), base_dir, vat), f"file {value}"
    elif action == "erase":
        size = _integer(value, "erase", vat, 1, FLASH_SIZE, "a byte count 1..0x100000")
        data, describe = b"\xff" * size, f"erase 0x{size:X} bytes"
    elif action == "fill":
        byte = _integer(value, "fill", vat, 0, 0xFF, "a byte value 0..0xFF")
        if "size" not in item:
            raise _fail(f"{context}'fill' needs 'size' (how many bytes)", at_line)
        size = _integer(item["size"], "size", where(name, item, "size"), 1, FLASH_SIZE, "a byte count 1..0x100000")
        data, describe = bytes([byte]) * size, f"fill 0x{size:X} bytes with 0x{byte:02X}"
    elif action == "hex":
        text = value if isinstance(value, str) else None
        if text is None or not _HEX_RE.fullmatch(text) or len("".join(text.split())) % 2:
            raise _fail(f"key 'hex': value {value!r} is not allowed (expected hex bytes in quotes, e.g. \"00000000 deadbeef\")",
                        vat)
        data = bytes.fromhex("".join(text.split()))
        if not data:
            raise _fail("key 'hex': no bytes given", vat)
        describe = f"hex {len(data)} bytes"
    else:
        data, describe = _generate(item, name, context, board_hw)

    if at + len(data) > FLASH_END:
        raise _fail(f"{context}{describe} at 0x{at:08X} ends at 0x{at + len(data):08X}, outside flash "
                    f"(0x{FLASH_BASE:08X}..0x{FLASH_END - 1:08X})", at_line)
    return FlashOp(at, data, describe, at_line)


def _read_file(text: str, base_dir: Path, at: str) -> bytes:
    path = (base_dir / text) if not Path(text).is_absolute() else Path(text)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise _fail(f"key 'file': {text} is not a regular file (a device or a pipe)", at)
        if path.stat().st_size > MAX_FILE:
            raise _fail(f"key 'file': {text} is larger than the flash ({MAX_FILE} bytes)", at)
        return path.read_bytes()
    except FileNotFoundError:
        raise _fail(f"key 'file': {text} not found (looked for {path})", at) from None
    except IsADirectoryError:
        raise _fail(f"key 'file': {text} is a directory, expected an image file", at) from None
    except OSError as exc:
        raise _fail(f"key 'file': cannot read {text}: {exc.strerror}", at) from None


@functools.lru_cache(maxsize=64)
def _firmware(hw: str, version: str, size: str | int, gap: int | None, seed: int, layout: str | None) -> bytes:
    return imagegen.firmware(hw, version, size, gap=gap, seed=seed, layout=layout)


def _generate(item: Located, name: str, context: str, board_hw: str) -> tuple[bytes, str]:
    kind = item["generate"]  # checked by _parse_op

    def get(key: str, default: Any = None) -> tuple[Any, str]:
        return item.get(key, default), where(name, item, key)

    seed, sat = get("seed", 0)
    seed = _integer(seed, "seed", sat, 0, 2**32 - 1, "an integer 0..2^32-1")
    if kind in ("firmware", "update"):
        hw, hat = get("hw", board_hw)
        if isinstance(hw, (int, float)) and not isinstance(hw, bool):
            hw = str(hw)  # hw: 410 written without quotes
        hw = _text(hw, "hw", hat, "a HW name such as \"410\"")
        if "version" not in item:
            raise _fail(f"{context}'generate: {kind}' needs 'version' (e.g. version: \"5.03\")", where(name, item))
        version, vat = get("version")
        if not isinstance(version, str):
            raise _fail(f"key 'version': value {version!r} is not allowed (expected a quoted version such as "
                        f"\"5.03\": YAML reads 6.00 as the number 6.0)", vat)
        try:
            ver = imagegen.parse_version(version)
        except ValueError as exc:
            raise _fail(f"key 'version': {exc}", vat) from None
        default_size = "release6" if ver >= (6, 0) else "release5" if ver >= (3, 55) else "small"
        size, zat = get("size", default_size)
        if not (isinstance(size, str) and size in imagegen.SIZES) and (isinstance(size, bool)
                                                                         or not isinstance(size, int)):
            raise _fail(f"key 'size': value {size!r} is not allowed (expected {', '.join(imagegen.SIZES)} "
                        "or a number of bytes)", zat)
        gap, gpat = get("gap")
        if gap is not None and gap not in (0x00, 0xFF):
            raise _fail(f"key 'gap': value {gap!r} is not allowed (expected 0x00 or 0xFF)", gpat)
        layout, lat = get("layout")
        if layout is not None and layout not in imagegen.LAYOUTS:
            raise _fail(f"key 'layout': value {layout!r} is not allowed (expected one of: "
                        f"{', '.join(imagegen.LAYOUTS)})", lat)
        try:
            image = _firmware(hw, version, size, gap, seed, layout)
        except ValueError as exc:
            raise _fail(f"{context}generate {kind}: {exc}", where(name, item)) from None
        if kind == "firmware":
            return image, f"generate firmware {hw} {version} ({len(image)} bytes)"
        try:
            buffer = imagegen.update_buffer(image, seed=seed)
        except ValueError as exc:
            raise _fail(f"{context}generate update: {exc}", where(name, item)) from None
        return buffer, f"generate update {hw} {version} ({len(buffer)} bytes with header)"
    if kind == "bootloader":
        compression, cat = get("compression", True)
        if not isinstance(compression, bool):
            raise _fail(f"key 'compression': value {compression!r} is not allowed (expected true or false)", cat)
        image = imagegen.bootloader(compression=compression, seed=seed)
        return image, f"generate bootloader ({'with' if compression else 'without'} compression, {len(image)} bytes)"
    if kind == "lispbm-image":
        version, vat = get("version", "00000000")
        version = _text(version, "version", vat, "the image's version text (the app CRC, 8 hex digits)")
        return imagegen.lispbm_image(version=version, seed=seed), "generate lispbm-image (128 KiB, sector 8)"
    if kind == "lispbm-code":
        code = imagegen.lispbm_code(seed=seed)
        return code, f"generate lispbm-code ({len(code)} bytes: a stored LispBM script with its header)"
    if kind == "package-data":
        size = _integer(item.get("size", 0x800), "size", where(name, item, "size"), 1, FLASH_SIZE,
                        "a byte count 1..0x100000")
        return imagegen.package_data(size, seed=seed), f"generate package-data 0x{size:X} bytes"
    if kind == "garbage":
        if "size" not in item:
            raise _fail(f"{context}'generate: garbage' needs 'size' (how many bytes)", where(name, item))
        size = _integer(item["size"], "size", where(name, item, "size"), 1, FLASH_SIZE, "a byte count 1..0x100000")
        return imagegen.garbage(size, seed=seed), f"generate garbage 0x{size:X} bytes"
    size, zat = get("size", imagegen.OTHER_APP_SIZE)
    size = _integer(size, "size", zat, 0x400, FLASH_SIZE, "a byte count 0x400..0x100000")
    return imagegen.other_app(size, seed=seed), f"generate other-app ({size} bytes)"


# ---------------------------------------------------------------- the scenario file

def _parse_answers(data: Any, name: str, parent: Located) -> dict[str, str]:
    at = where(name, parent, "answers")
    if data is None:
        return {}
    if not isinstance(data, Located):
        raise _fail("key 'answers': expected a mapping of question id to answer code, e.g. {symptom: no-usb}", at)
    out = {}
    for qid, code in data.items():
        qat = where(name, data, qid)
        if not isinstance(qid, str) or not _NAME_RE.fullmatch(qid):
            raise _fail(f"key 'answers': question id {qid!r} is not allowed (expected a lowercase id such as "
                        "symptom)", qat)
        if code is False and qid == "led":
            code = "off"  # YAML 1.1 reads a bare off as a boolean
        if isinstance(code, (int, float)) and not isinstance(code, bool):
            code = str(code)
        if not isinstance(code, str) or not code:
            raise _fail(f"key 'answers.{qid}': value {code!r} is not allowed (expected an answer code; quote "
                        "yes/no/on/off, which YAML reads as true/false)", qat)
        expected = answer_error(qid, code)
        if expected:
            raise _fail(f"key 'answers.{qid}': value {code!r} is not allowed ({expected})", qat)
        out[qid] = code
    return out


def _parse_expect(data: Any, name: str, parent: Located) -> Expectation | None:
    if data is None:
        return None
    if not isinstance(data, Located):
        raise _fail("key 'expect': expected a mapping {verdict: CODE, findings: [CODE, ...]}",
                    where(name, parent, "expect"))
    _check_keys(data, ("verdict", "findings"), name, "expect: ")
    if "verdict" not in data:
        raise _fail("expect: missing key 'verdict'", where(name, data))
    known = ", ".join(sorted(VERDICT_CODES))
    verdict = data["verdict"]
    if verdict not in VERDICT_CODES:
        raise _fail(f"key 'expect.verdict': value {verdict!r} is not allowed (expected a verdict code: {known})",
                    where(name, data, "verdict"))
    findings = data.get("findings", [verdict])
    fat = where(name, data, "findings")
    if not isinstance(findings, list):
        raise _fail("key 'expect.findings': expected a list of verdict codes", fat)
    for code in findings:
        if code not in VERDICT_CODES:
            raise _fail(f"key 'expect.findings': value {code!r} is not allowed (expected a verdict code: {known})",
                        fat)
    if verdict not in findings:  # findings hold the verdict too (verdicts.md)
        findings = [verdict] + findings
    return Expectation(verdict, tuple(dict.fromkeys(findings)))


def parse_scenario(data: Any, name: str, base_dir: Path) -> Scenario:
    """Validate a scenario mapping loaded from the file `name` (file: paths resolve against base_dir)."""
    if not isinstance(data, Located):
        raise _fail("expected a scenario: a mapping with name, board, flash, expect ...", name)
    fields = _scenario_fields(name)
    top = _read(data, fields, name, "")
    scenario_name, description, boot = top["name"], " ".join(top["description"].split()), top["boot"]
    if not fields["name"].accepts(scenario_name):  # no `name:`, and the file's own name is not one
        raise _fail(fields["name"].message("name", scenario_name), where(name, data, "name"))
    config = parse_config(data.get("board"), name, allow_partial=True) if "board" in data else BoardConfig()
    flash = _parse_ops(data.get("flash"), name, "flash", data, base_dir, config.hw)
    after_boot = _parse_ops(data.get("after_boot"), name, "after_boot", data, base_dir, config.hw)
    if after_boot and not boot:
        raise _fail("key 'after_boot': edits after the boot need 'boot: true'", where(name, data, "after_boot"))
    answers = _parse_answers(data.get("answers"), name, data)
    config.answers = {**config.answers, **answers}
    expect = _parse_expect(data.get("expect"), name, data)
    return Scenario(scenario_name, description, config, flash, boot, after_boot, expect, answers=answers)


def load_scenario(path: str | Path, *, builtin: bool = False) -> Scenario:
    path = Path(path)
    scenario = parse_scenario(load_file(path), str(path), path.parent)
    scenario.path, scenario.builtin = path, builtin
    return scenario


# ---------------------------------------------------------------- making the board

def apply_ops(flash: bytearray, ops: list[FlashOp]) -> None:
    for op in ops:
        flash[op.at - FLASH_BASE:op.end - FLASH_BASE] = op.data


def build_flash(scenario: Scenario) -> bytearray:
    """The flash the scenario lays out, before any boot."""
    flash = bytearray(b"\xff" * FLASH_SIZE)
    apply_ops(flash, scenario.flash)
    return flash


def build_board(scenario: Scenario, board_dir: str | Path, force: bool = False) -> Board:
    """Make the board directory: lay out flash, boot once if asked (first-boot effects), apply after_boot, save.

    An existing board is replaced only with force; a directory that holds anything but a board never is.
    `boot: true` powers the board once even when it ends up `power: off` (it ran before its battery came off).
    """
    board_dir = Path(board_dir)
    if board_dir.exists():
        if not board_dir.is_dir():
            raise InputError("exists and is not a directory", str(board_dir))
        contents = {p.name for p in board_dir.iterdir()}
        if contents - {BOARD_FILE, FLASH_FILE}:
            raise InputError("is a directory with other files in it, not a board: refusing to replace it",
                             str(board_dir))
        if contents and not force:
            raise InputError("a board already exists here (use --force to replace it)", str(board_dir))
    config = copy.deepcopy(scenario.config)
    board = Board(board_dir, config, build_flash(scenario))
    if scenario.boot:
        power = config.power
        config.power = "on"
        power_on_reset(board)
        config.power = power
    apply_ops(board.flash, scenario.after_boot)
    try:
        board_dir.mkdir(parents=True, exist_ok=True)
        board.save()
    except OSError as exc:
        raise InputError(f"cannot write the board here: {exc.strerror or exc}", str(board_dir)) from None
    return board


# ---------------------------------------------------------------- built-ins

def _builtin_dir():
    return resources.files(__package__).joinpath("scenarios")


def builtin_scenarios() -> list[Scenario]:
    """The built-in scenarios (vescdoctor/sim/scenarios/*.yaml), sorted by name."""
    return [copy.deepcopy(_load_builtin(name)) for name in builtin_names()]  # callers may edit their copy


def builtin_names() -> list[str]:
    return sorted(entry.name[:-5] for entry in _builtin_dir().iterdir() if entry.name.endswith(".yaml"))


@functools.cache
def _load_builtin(name: str) -> Scenario:
    with resources.as_file(_builtin_dir().joinpath(f"{name}.yaml")) as path:
        return load_scenario(path, builtin=True)


def find_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario file (a path that exists, or one ending in .yaml/.yml) or a built-in scenario's name."""
    text = str(name_or_path)
    path = Path(text)
    if path.exists() or text.endswith((".yaml", ".yml")) or "/" in text:
        return load_scenario(path)
    if text in builtin_names():
        return copy.deepcopy(_load_builtin(text))
    raise InputError(f"no scenario file or built-in scenario named {text!r} "
                     f"(built-ins: {', '.join(builtin_names())}; see `vescdoctor sim list`)")
