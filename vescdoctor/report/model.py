"""The report: one JSON document holding what a run asked, saw, concluded and did (format "vescdoctor-report", v1).

`build_report` turns the graph engine's session result (plus what the face knows: environment, flash map, actions,
backups) into a plain, JSON-ready dict; `write_report` redacts, checks and writes it atomically. The builder reads
its inputs by attribute or by key, so dataclasses and dicts both work. The contract is schema.SCHEMA.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import os
import platform
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..knowledge.flash import SECTORS
from . import schema
from .files import write_text_atomic
from .load import MAX_DEPTH, MAX_STRING, parse_report
from .redact import Identity, redact_report

FORMAT, VERSION = schema.FORMAT, schema.VERSION


def build_report(session_result: Any, *, env_summary: Mapping[str, Any] | None = None,
                 flash_map: Any = None, actions: Iterable[Any] = (), backups: Iterable[Any] = (),
                 plan: Iterable[Any] = (), images: Iterable[Any] = (), graph: Any = None, command: str = "diagnose",
                 redact: bool = True,
                 keep_uid: bool = False, identity: Identity | None = None, now: datetime | None = None) -> dict:
    """The report of one run.

    session_result: graph.session.SessionResult (path, facts, answers, findings, verdict, probe_runs, graph_*).
    env_summary: the target as the face saw it, e.g. {"simulated": True, "sim_board": "bricked", "probe": ...}.
    flash_map: a flash_analysis.FlashMap, {sector: state}, or items with sector/number, state (and detail); None: the
        `flash.sectors` fact when a probe set it, else every sector "unknown".
    actions, plan, backups: fix steps done, planned, and the backup files made (attributes or keys).
    images: the image files the fix writes: {what, file, sha256, format, size, hw, version, name} (keys or
        attributes); the field is left out when there are none.
    graph: {id, version, digest} of the walked graph when the result does not carry it.
    """
    backups_out = [_backup(b) for b in backups]
    facts = _jsonable(dict(_get(session_result, "facts") or {}))
    env = _jsonable(dict(env_summary or {}))
    target = {"simulated": bool(env.pop("simulated", False)), "sim_board": env.pop("sim_board", None), **env}
    if target["sim_board"] is not None:
        target["sim_board"] = Path(str(target["sim_board"])).name  # the name says which scenario; the path is private
    target.setdefault("host", {"os": platform.system(), "python": platform.python_version()})
    report = {
        "format": FORMAT,
        "version": VERSION,
        "tool": {"name": "vescdoctor", "version": __version__},
        "created": (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "graph": _graph(graph if graph is not None else _get(session_result, "graph") or _graph_of(session_result)),
        "target": target,
        "answers": {str(k): _clip(str(v), schema.CODE_MAX) for k, v in (_get(session_result, "answers") or {}).items()},
        "probes": [_probe_run(p) for p in _get(session_result, "probe_runs") or ()],
        "path": [_step(s) for s in _get(session_result, "path") or ()],
        "facts": facts,
        "findings": [str(_get(f, "code", f)) for f in _get(session_result, "findings") or ()],
        "verdict": _verdict(_get(session_result, "verdict")),
        "flash_map": flash_map_entries(flash_map if flash_map is not None else facts.get("flash.sectors")),
        "plan": [_plan_step(p) for p in plan],
        "actions": [_action(a) for a in actions],
        "backup": {"file": backups_out[0]["file"], "sha256": backups_out[0]["sha256"]} if backups_out else None,
        "backups": backups_out,
        "redaction": {"applied": False, "board_uid": "kept", "replaced": {}},
    }
    images_out = [_image(i) for i in images]
    if images_out:
        report["images"] = images_out
    return redact_report(report, keep_uid=keep_uid, identity=identity) if redact else report


def write_report(report: dict, path: str | os.PathLike, *, redact: bool = True, keep_uid: bool = False,
                 identity: Identity | None = None, force: bool = False) -> Path:
    """Write `report` to `path` atomically (temporary file, fsync, rename), redacted unless it already is or
    `redact` is False. A report the loader would refuse is a bug of its builder: ValueError, nothing written."""
    if redact and not (report.get("redaction") or {}).get("applied"):
        report = redact_report(report, keep_uid=keep_uid, identity=identity)
    text = to_json(report)
    try:  # never write what vescdoctor itself would refuse to read back
        parse_report(text.encode("utf-8"), str(path))
    except InputError as exc:
        raise ValueError(f"the report breaks its own format: {exc.message}") from None
    return write_text_atomic(path, text, force=force)


def to_json(report: dict) -> str:
    """The report as written: indented, UTF-8 text, no NaN (json.dumps would write invalid JSON for it)."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def flash_map_entries(flash_map: Any) -> list[dict]:
    """The 12 sectors with their VESC role and the state a probe saw (`unknown` where none did)."""
    states: dict[int, tuple[str, Any, Any]] = {}
    flash_map = _get(flash_map, "sectors", flash_map) if not isinstance(flash_map, (Mapping, list)) else flash_map
    if isinstance(flash_map, Mapping):
        for number, state in flash_map.items():
            states[int(number)] = (str(_get(state, "state", state)), _get(state, "detail"), _get(state, "role"))
    elif flash_map is not None:
        for item in flash_map:
            number = _get(item, "sector", _get(item, "number"))
            states[int(number)] = (str(_get(item, "state", "unknown")), _get(item, "detail"), _get(item, "role"))
    out = []
    for s in SECTORS:
        state, detail, role = states.get(s.number, ("unknown", None, None))
        role = role if role in schema.SECTOR_ROLES else s.role  # the generation's role when the probe named one
        entry = {"sector": s.number, "address": s.address, "size": s.size, "role": role, "state": state}
        if detail:
            entry["detail"] = _clip(str(detail), schema.LINE_MAX)
        out.append(entry)
    return out


def after_record(after: Any) -> dict:
    """The report's `after` field from the fresh look after a repair (fixes.execute's `after`: verdict and the
    session result): its verdict, findings and, when it read the flash, the flash map as it is now."""
    result = _get(after, "result")
    out: dict[str, Any] = {"verdict": str(_get(after, "verdict")), "findings": [str(_get(f, "code", f))
                                                                               for f in _get(result, "findings") or ()]}
    sectors = (_get(result, "facts") or {}).get("flash.sectors")
    if sectors:
        out["flash_map"] = flash_map_entries(_jsonable(sectors))
    return out


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 14] + " ...(clipped)"


def _lines(lines: Any) -> list[str]:
    out = [_clip(str(line), schema.LINE_MAX) for line in lines or ()]
    if len(out) > 5000:  # keep the start and the end: that's where a transcript says what happened
        out = out[:2500] + [f"... {len(out) - 4999} lines left out ..."] + out[-2499:]
    return out


def _graph_of(result: Any) -> dict:
    """The engine's SessionResult names its graph in graph_id/graph_version/graph_digest."""
    return {"id": _get(result, "graph_id"), "version": _get(result, "graph_version"),
            "digest": _get(result, "graph_digest")}


def _graph(graph: Any) -> dict:
    digest = _get(graph, "digest")
    if isinstance(digest, str) and not digest.startswith("sha256:"):
        digest = f"sha256:{digest}"
    version = _get(graph, "version")
    return {"id": _get(graph, "id"), "version": version if isinstance(version, (int, type(None))) else str(version),
            "digest": digest}


def _probe_run(run: Any) -> dict:
    error = _get(run, "error")
    node = _get(run, "node")
    return {"name": str(_get(run, "name", _get(run, "probe"))), "node": None if node is None else str(node),
            "ok": bool(_get(run, "ok", True)),
            "error": None if error is None else _clip(str(error), schema.LINE_MAX),
            "facts": _jsonable(dict(_get(run, "facts") or {})), "transcript": _lines(_get(run, "transcript"))}


def _step(step: Any) -> dict:
    node = _get(step, "node")
    node = _get(node, "id", node)
    kind = _get(step, "kind")
    outcome = _get(step, "outcome")
    out: dict[str, Any] = {"node": str(node), "kind": str(_get(kind, "value", kind)),
           "outcome": None if outcome is None else _clip(str(_jsonable(outcome)), schema.NAME_MAX)}
    if _get(step, "to") is not None:
        out["to"] = str(_get(step, "to"))
    if _get(step, "findings"):
        out["findings"] = [str(f) for f in _get(step, "findings")]
    return out


def _verdict(verdict: Any) -> dict | None:
    if verdict is None:
        return None
    return {"code": str(_get(verdict, "code")),
            "title": _clip(str(_get(verdict, "title") or ""), schema.LINE_MAX),
            "explanation": _clip(str(_get(verdict, "explanation") or ""), schema.TEXT_MAX),
            "next_steps": [_clip(str(s), schema.TEXT_MAX) for s in _get(verdict, "next_steps") or ()]}


def _plan_step(step: Any) -> dict:
    out: dict[str, Any] = {"step": str(_get(step, "step", _get(step, "name")))}
    if _get(step, "title") is not None:
        out["title"] = _clip(str(_get(step, "title")), schema.LINE_MAX)
    if _get(step, "destructive") is not None:
        out["destructive"] = bool(_get(step, "destructive"))
    return out


def _image(image: Any) -> dict:
    out: dict[str, Any] = {"what": str(_get(image, "what")), "file": _clip(str(_get(image, "file")), schema.PATH_MAX),
           "sha256": str(_get(image, "sha256"))}
    for key, limit in (("format", schema.CODE_MAX), ("hw", schema.NAME_MAX), ("version", schema.CODE_MAX),
                       ("name", schema.NAME_MAX), ("release", schema.LINE_MAX), ("source", schema.PATH_MAX)):
        value = _get(image, key)
        if value is not None:
            out[key] = _clip(str(value), limit)
    if _get(image, "size") is not None:
        out["size"] = int(_get(image, "size"))
    return out


def _action(action: Any) -> dict:
    out = {"step": str(_get(action, "step", _get(action, "name"))), "ok": bool(_get(action, "ok"))}
    for key in ("detail", "error", "file"):
        value = _get(action, key)
        if value is not None:
            out[key] = _clip(str(value), schema.PATH_MAX if key == "file" else schema.LINE_MAX)
    seconds = _get(action, "seconds")
    if seconds is not None:
        out["seconds"] = round(float(seconds), 3)
    return out


def _backup(backup: Any) -> dict:
    file = _get(backup, "file", _get(backup, "path"))
    size = _get(backup, "size")
    return {"file": str(file), "sha256": str(_get(backup, "sha256")).lower(),
            "size": None if size is None else int(size)}


def _jsonable(value: Any, depth: int = 0) -> Any:
    """Plain JSON values from what probes return: bytes as hex, tuples/sets as lists, enums by value, NaN as null;
    clipped to what the loader accepts (string length, nesting), so every written report reads back."""
    if depth > MAX_DEPTH - 8:  # the report's own nesting comes on top of a fact's
        return _clip(repr(value), 200)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -2**63 <= value < 2**64 else str(value)
    if isinstance(value, str):
        return _clip(value, MAX_STRING)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _clip(bytes(value).hex(), MAX_STRING)
    if isinstance(value, enum.Enum):
        return _jsonable(value.value, depth)
    if isinstance(value, Mapping):
        return {_clip(str(k), schema.NAME_MAX): _jsonable(v, depth + 1) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value), depth)
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v, depth + 1) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return _clip(str(value), MAX_STRING)
