"""Loading a report someone sent: the file is untrusted.

Only the json module parses it (no YAML, no pickle, nothing that constructs objects), nothing in it is executed or
opened as a path, and every way it can be wrong (too big, binary, truncated, too deep, wrong types, unknown version,
huge fields) becomes one InputError naming the file and the field. What passes is a plain dict that satisfies
schema.SCHEMA and the size limits below, so renderers and replay can trust its shape.
"""
from __future__ import annotations

import json
import os
from typing import Any

from ..errors import InputError
from . import schema

MAX_REPORT_BYTES = 16 * 1024 * 1024  # a real report is tens of KB; a long fix transcript stays far below this
MAX_DEPTH = 32  # report -> probes -> [i] -> facts -> name -> value ... real reports stay under 10
MAX_STRING = 64 * 1024  # any string, including in fields the schema leaves open
MAX_VALUES = 500_000  # every value in the document, so rendering stays quick


def load_report(path: str | os.PathLike) -> dict:
    """Read, parse and check a report file; InputError (exit 2) with `FILE: what is wrong` otherwise."""
    from ..safeio import read_bounded

    name = str(path)
    raw = read_bounded(path, MAX_REPORT_BYTES, "a report (JSON)")
    return parse_report(raw, name)


def parse_report(raw: bytes, name: str) -> dict:
    """Parse and check report bytes; `name` is what errors call the file."""
    if len(raw) > MAX_REPORT_BYTES:
        raise InputError(f"too large (more than {MAX_REPORT_BYTES} bytes)", name)
    if not raw.strip():
        raise InputError("empty, expected a vescdoctor report (JSON)", name)
    if b"\x00" in raw:
        raise InputError("binary data, expected a vescdoctor report (JSON text)", name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}), expected a vescdoctor report (JSON)", name) from None
    head = text.lstrip()
    if not head.startswith("{"):
        if head.startswith(("%YAML", "---", "!", "format:")):
            raise InputError("looks like YAML; a report is JSON (YAML is never read)", name)
        raise InputError("not a JSON object, expected a vescdoctor report", name)
    data = _parse_json(text, name)
    _check_limits(data, name)
    _check_identity(data, name)
    try:
        schema.validate(data)
    except schema.SchemaError as exc:
        raise InputError(f"field {exc.field}: {exc.problem}", name) from None
    _check_answer_codes(data, name)
    return data


def _check_answer_codes(data: dict, name: str) -> None:
    """The spec's questions take their own codes only (verdicts.md): a report claiming another is not ours."""
    from ..knowledge.verdicts import answer_error

    for qid, code in (data.get("answers") or {}).items():
        expected = answer_error(qid, code)
        if expected:
            raise InputError(f"field answers.{qid}: {code!r} is not an answer code of that question ({expected})",
                             name)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {ascii(key[:40])}")
        out[key] = value
    return out


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        # json says "Unterminated string" only when the text ends inside a string.
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise InputError(f"not valid JSON: ends early at line {exc.lineno} (truncated?)", name) from None
        raise InputError(f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", name) from None
    except RecursionError:
        raise InputError(f"nested too deeply (more than {MAX_DEPTH} levels)", name) from None
    except ValueError as exc:  # duplicate keys, NaN/Infinity, integers of thousands of digits
        raise InputError(f"not valid JSON: {str(exc).splitlines()[0][:120]}", name) from None


def _check_limits(data: Any, name: str) -> None:
    """Depth, string length and value count over the whole document, fields the schema leaves open included."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    count = 0
    while stack:
        value, field, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise InputError(f"too many values (more than {MAX_VALUES})", name)
        if depth > MAX_DEPTH:
            raise InputError(f"field {field}: nested too deeply (more than {MAX_DEPTH} levels)", name)
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise InputError(f"field {field or 'the report'}: too long ({len(value)} characters, "
                             f"at most {MAX_STRING})", name)
        if isinstance(value, int) and not isinstance(value, bool) and not -2**64 < value < 2**64:
            raise InputError(f"field {field}: number out of range", name)
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > schema.NAME_MAX:
                    raise InputError(f"field {schema.field_name(field, key)}: name too long", name)
                stack.append((item, schema.field_name(field, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, schema.field_name(field, i), depth + 1) for i, item in enumerate(value))


def _check_identity(data: Any, name: str) -> None:
    """Format and version first, so a newer report says so rather than failing on a field it renamed."""
    if not isinstance(data, dict) or data.get("format") != schema.FORMAT:
        raise InputError(f"not a vescdoctor report (field format: expected {schema.FORMAT!r})", name)
    version = data.get("version")
    if "version" not in data:
        raise InputError("field version: missing", name)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError(f"field version: expected an integer, found {schema.type_name(version)}", name)
    if version != schema.VERSION:
        newer = " (written by a newer vescdoctor: update to read it)" if version > schema.VERSION else ""
        raise InputError(f"field version: report version {version} is not supported, this vescdoctor reads "
                         f"version {schema.VERSION}{newer}", name)

