"""The report's JSON Schema (draft 2020-12), and a small validator for the subset of keywords it uses.

The schema is the contract: docs/report.schema.json is this dict as `schema_json()` writes it (a test keeps the two
identical; regenerate with `python -c "from vescdoctor.report.schema import schema_json; print(schema_json(), end='')"
> docs/report.schema.json`). `validate()` checks a report against this same dict with jsonschema, so the runtime
check and the contract can't drift; its errors name the field (`probes[2].facts`), never a value from the file.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

FORMAT = "vescdoctor-report"
VERSION = 1
NODE_KINDS = ("question", "probe", "decision", "fix", "verdict")
# every role of knowledge.generations.ROLES (the flash map of the firmware generation in flash)
SECTOR_ROLES = ("app", "config", "buffer", "bootloader", "qml", "lispbm", "free")

# Field-size limits: generous for a real run, small enough that a hostile file can't make a renderer choke.
CODE_MAX = 64
NAME_MAX = 128
LINE_MAX = 2000
TEXT_MAX = 8000
PATH_MAX = 4096

_CODE = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]*$", "maxLength": CODE_MAX}
_NAME = {"type": "string", "minLength": 1, "maxLength": NAME_MAX}
_LINE = {"type": "string", "maxLength": LINE_MAX}
_TEXT = {"type": "string", "maxLength": TEXT_MAX}
_OPT_LINE = {"type": ["string", "null"], "maxLength": LINE_MAX}
_OPT_PATH = {"type": ["string", "null"], "maxLength": PATH_MAX}
_SECONDS = {"type": "number", "minimum": 0}
_COUNT = {"type": "integer", "minimum": 0}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None, *, extra: bool = True,
         description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if description:
        out["description"] = description
    out["properties"] = {**required, **(optional or {})}
    out["required"] = list(required)
    if not extra:
        out["additionalProperties"] = False
    return out


# The 12 sectors with their role and state: the report's flash_map, and after.flash_map (the fresh look).
_FLASH_MAP = {"type": "array", "maxItems": 12,
    "items": _obj({"sector": {"type": "integer", "minimum": 0, "maximum": 11},
                   "address": {"type": "integer", "minimum": 0},
                   "size": {"type": "integer", "minimum": 0},
                   "role": {"enum": list(SECTOR_ROLES)},
                   "state": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$",
                             "maxLength": CODE_MAX,
                             "description": "blank | data | unreadable (flashmap.analyze) | unknown (not read "
                                            "whole: erased at both ends on a running chip, or not looked at)"}},
                  {"detail": _OPT_LINE})}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://vescdoctor.invalid/schema/report-v1.json",
    "title": "vescdoctor report, version 1",
    "description": "What one diagnosis or fix of a VESC board found and did. Fields beyond these may appear "
                   "(readers ignore what they don't know); the format and version say how to read the rest.",
    **_obj({
        "format": {"const": FORMAT},
        "version": {"const": VERSION},
        "tool": _obj({"name": {"const": "vescdoctor"}, "version": {"type": "string", "maxLength": CODE_MAX}}),
        "created": {"type": "string", "description": "UTC, ISO 8601, e.g. 2026-11-23T19:31:05Z",
                    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"},
        "command": {"enum": ["diagnose", "fix", "tui"]},
        "graph": _obj({"id": {"type": ["string", "null"], "maxLength": NAME_MAX},
                       "version": {"type": ["string", "integer", "null"], "maxLength": CODE_MAX},
                       "digest": {"type": ["string", "null"], "pattern": "^sha256:[0-9a-f]{64}$"}},
                      description="The decision graph the run walked: replay compares its digest with the "
                                  "current graph's."),
        "target": _obj({"simulated": {"type": "boolean"},
                        "sim_board": {"type": ["string", "null"], "maxLength": NAME_MAX,
                                      "description": "the simulated board's directory name (not its path)"}},
                       description="The board and how it was reached; more keys from the environment summary."),
        "answers": {"type": "object", "maxProperties": 200, "propertyNames": {"maxLength": NAME_MAX},
                    "additionalProperties": {"type": "string", "maxLength": CODE_MAX}},
        "probes": {"type": "array", "maxItems": 500,
                   "items": _obj({"name": _NAME, "node": {"type": ["string", "null"], "maxLength": NAME_MAX},
                                  "ok": {"type": "boolean"}, "error": _OPT_LINE,
                                  "facts": {"type": "object", "maxProperties": 1000,
                                            "propertyNames": {"maxLength": NAME_MAX}},
                                  "transcript": {"type": "array", "maxItems": 5000, "items": _LINE}})},
        "path": {"type": "array", "maxItems": 1000,
                 "items": _obj({"node": _NAME, "kind": {"enum": list(NODE_KINDS)}},
                               {"outcome": {"type": ["string", "null"], "maxLength": NAME_MAX},
                                "to": {"type": "string", "maxLength": NAME_MAX},
                                "findings": {"type": "array", "maxItems": 100, "items": _CODE}})},
        "facts": {"type": "object", "maxProperties": 5000, "propertyNames": {"maxLength": NAME_MAX}},
        "findings": {"type": "array", "maxItems": 100, "items": _CODE},
        "verdict": {**_obj({"code": _CODE, "title": _LINE, "explanation": _TEXT},
                           {"next_steps": {"type": "array", "maxItems": 50, "items": _TEXT}},
                           description="null when the run stopped before a verdict (e.g. the TUI was left)"),
                    "type": ["object", "null"]},
        "flash_map": _FLASH_MAP,
        "plan": {"type": "array", "maxItems": 100,
                 "items": _obj({"step": _NAME},
                               {"title": _OPT_LINE, "destructive": {"type": "boolean"}})},
        "actions": {"type": "array", "maxItems": 500,
                    "items": _obj({"step": _NAME, "ok": {"type": "boolean"}},
                                  {"detail": _OPT_LINE, "error": _OPT_LINE, "file": _OPT_PATH,
                                   "seconds": {"type": ["number", "null"], "minimum": 0}})},
        "backup": {"type": ["object", "null"],
                   "description": "the backup taken before the first destructive step (fix), else null",
                   "properties": {"file": {"type": "string", "maxLength": PATH_MAX}, "sha256": _SHA256},
                   "required": ["file", "sha256"]},
        "backups": {"type": "array", "maxItems": 100,
                    "items": _obj({"file": {"type": "string", "maxLength": PATH_MAX}, "sha256": _SHA256},
                                  {"size": {"type": ["integer", "null"], "minimum": 0}})},
        "redaction": _obj({"applied": {"type": "boolean"},
                           "board_uid": {"enum": ["shortened", "kept", "none-found"]},
                           "replaced": {"type": "object", "maxProperties": 20,
                                        "additionalProperties": {"type": "integer", "minimum": 0}}}),
    }, {
        "images": {"type": "array", "maxItems": 10,
                   "description": "the image files a fix wrote (or planned to write): what a helper asks first",
                   "items": _obj({"what": {"enum": ["bootloader", "firmware"]},
                                  "file": {"type": "string", "maxLength": PATH_MAX}, "sha256": _SHA256},
                                 {"format": {"enum": ["bin", "hex", "elf"]},
                                  "size": {"type": ["integer", "null"], "minimum": 0},
                                  "hw": {"type": ["string", "null"], "maxLength": NAME_MAX},
                                  "version": {"type": ["string", "null"], "maxLength": CODE_MAX},
                                  "name": {"type": ["string", "null"], "maxLength": NAME_MAX,
                                           "description": "a known bootloader's name"},
                                  "release": {"type": ["string", "null"], "maxLength": LINE_MAX,
                                              "description": "the official release the file is (catalog, by "
                                                             "sha256)"},
                                  "source": {"type": ["string", "null"], "maxLength": PATH_MAX,
                                             "description": "where a fix took the catalog's image from (URL, "
                                                            "mirror, cache)"}})},
        "after": {"type": ["object", "null"],
                  "description": "the fresh look after the repair (fix, tui): its verdict code, findings and (when it "
                                 "read the flash) flash map; absent or null when no repair ran or it stopped before "
                                 "looking again",
                  "properties": {"verdict": _CODE, "findings": {"type": "array", "maxItems": 100, "items": _CODE},
                                 "flash_map": _FLASH_MAP},
                  "required": ["verdict"]},
        "bench": _obj({"chip_seconds": _SECONDS, "link_seconds": _SECONDS, "modelled_seconds": _SECONDS,
                       "bytes_read": _COUNT, "bytes_written": _COUNT, "transfers": _COUNT,
                       "swd_khz": {"type": ["integer", "null"], "minimum": 0},
                       "probe": {"type": "string", "maxLength": CODE_MAX}},
                      description="a run on the virtual bench: what it would have cost on the real chip and probe "
                                  "(docs/bench.md); absent on real hardware"),
    }),
}

# Every keyword validate() understands; a test proves SCHEMA uses no other.
KEYWORDS = {"$schema", "$id", "title", "description", "type", "const", "enum", "pattern", "minLength", "maxLength",
            "minimum", "maximum", "properties", "required", "additionalProperties", "items", "maxItems",
            "maxProperties", "propertyNames"}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def type_name(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _TYPES[name](value):
            return "a number" if name in ("integer", "number") else {
                "null": "null", "boolean": "a boolean", "string": "a string", "array": "a list",
                "object": "an object"}[name]
    return type(value).__name__


def field_name(parent: str, key: Any) -> str:
    """`parent.key` or `parent[3]`; keys that aren't plain names are quoted (and clipped: they come from the file)."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{ascii(key[:40])}]"


class SchemaError(ValueError):
    """`field` is where (e.g. `verdict.code`), `problem` what was expected."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field or 'the report'}: {problem}")
        self.field = field
        self.problem = problem


def validate(value: Any, schema: dict[str, Any] = SCHEMA, field: str = "") -> None:
    """Raise SchemaError at the first place `value` breaks `schema` (jsonschema, draft 2020-12, with the keywords in
    KEYWORDS), in words that name the field and never repeat a value from the file."""
    error = next(iter(_validator(json.dumps(schema)).iter_errors(value)), None)  # keywords in the schema's order
    if error is not None:
        raise SchemaError(*_describe(error, field))


@functools.cache
def _validator(schema_text: str) -> Any:
    """A jsonschema validator whose "integer" is an int only (1.0 is not a sector number: the renderers format it
    as one), built once per schema (jsonschema is imported when a report is first checked, not at start-up)."""
    import jsonschema

    integer = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, v: isinstance(v, int) and not isinstance(v, bool))
    strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=integer)
    return strict(json.loads(schema_text))


def _describe(error: Any, field: str) -> tuple[str, str]:
    """(field, problem) of a jsonschema error, in this project's words (the same as the hand-written checks had)."""
    for part in error.absolute_path:
        field = field_name(field, part)
    if "propertyNames" in error.relative_schema_path:  # the key itself is what is wrong
        field = field_name(field, error.instance) + " (name)"
    schema, value, keyword = error.schema, error.instance, error.validator
    if keyword == "required":
        return field_name(field, next(k for k in schema["required"] if k not in value)), "missing"
    if keyword == "additionalProperties":
        return field_name(field, next(k for k in value if k not in schema.get("properties", {}))), "not expected here"
    return field, _PROBLEMS.get(keyword, lambda s, v: f"does not match the schema ({keyword})")(schema, value)


def _expected_types(schema: dict[str, Any], value: Any) -> str:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    want = " or ".join(("a list" if t == "array" else "an object" if t == "object" else t) for t in types)
    return f"expected {want}, found {type_name(value)}"


_PROBLEMS: dict[str, Callable[[dict[str, Any], Any], str]] = {
    "const": lambda s, v: f"expected {json.dumps(s['const'])}",
    "enum": lambda s, v: "expected one of " + ", ".join(json.dumps(e) for e in s["enum"]),
    "type": _expected_types,
    "maxLength": lambda s, v: f"too long ({len(v)} characters, at most {s['maxLength']})",
    "minLength": lambda s, v: "must not be empty",
    "pattern": lambda s, v: f"not in the expected form ({s['pattern']})",
    "minimum": lambda s, v: f"out of range ({s.get('minimum', '')}..{s.get('maximum', '')})",
    "maximum": lambda s, v: f"out of range ({s.get('minimum', '')}..{s.get('maximum', '')})",
    "maxItems": lambda s, v: f"too many items ({len(v)}, at most {s['maxItems']})",
    "maxProperties": lambda s, v: f"too many entries ({len(v)}, at most {s['maxProperties']})",
}


def schema_json() -> str:
    return json.dumps(SCHEMA, indent=2) + "\n"

