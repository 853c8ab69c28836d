"""Text helpers shared by the renderers: a report's strings come from someone else's file.

`clean` removes what could act on a terminal or mislead a reader (control characters, ANSI escapes, bidi
overrides); `value` formats a fact for people; `clip` keeps a table cell short.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..textsafe import UNSAFE_CHARS

# C0 controls but tab/newline, DEL, C1 controls (ESC sequences, CSI), and bidi/zero-width tricks (Trojan Source).
# `like this` in a verdict's text: shown as code (a code span can't carry a link or HTML, so it is safe to keep).
CODE_SPAN = re.compile(r"`([^`\n]{1,300})`")
# Facts with a section of their own.
SHOWN_ELSEWHERE = {"flash.sectors"}
_UNSAFE = UNSAFE_CHARS
REPLACEMENT = "\ufffd"
# The error of an action the user stopped (fixes/execute.py writes it): not a failure, nothing was cut halfway.
STOPPED_BY_USER = "stopped by the user"


def action_state(action: Any) -> str:
    """ok | stopped | failed: how a fix action (dict or object) ended, as every face shows it."""
    get = action.get if isinstance(action, dict) else (lambda k: getattr(action, k, None))
    if get("ok"):
        return "ok"
    return "stopped" if get("error") == STOPPED_BY_USER else "failed"


def clean(text: Any, *, single_line: bool = False) -> str:
    s = _UNSAFE.sub(REPLACEMENT, str(text)).replace("\t", " ")
    if single_line:
        s = " ".join(s.splitlines())
    return s


def clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def value(v: Any) -> str:
    """A fact for people: hex beside big integers (addresses, registers), JSON for lists and objects."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return f"0x{v:08X} ({v})" if v >= 0x10000 else str(v)
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def size(n: int) -> str:
    return f"{n // 1024}K" if n % 1024 == 0 else f"{n} B"


def flash_map_lines(sectors: list[dict]) -> list[str]:
    """The flash map as a fixed-width text table (for a code block or a <pre>)."""
    lines = ["sector  address     size  role        state       detail"]
    for s in sectors:
        detail = clip(clean(s["detail"], single_line=True), 80) if s.get("detail") else ""
        lines.append(f"{s['sector']:>6}  0x{s['address']:08X}  {size(s['size']):>4}  {s['role']:<10}  "
                     f"{s['state']:<10}  {detail}".rstrip())
    return lines


def summary(report: dict) -> list[tuple[str, str]]:
    """(label, text) pairs for the header: tool, run, time, graph, target."""
    tool, graph, target = report["tool"], report["graph"], report["target"]
    out = [("tool", f"vescdoctor {tool['version']}"), ("command", report["command"]),
           ("created", report["created"].replace("T", " ").replace("Z", " UTC"))]
    if graph.get("id") or graph.get("digest"):
        digest = (graph.get("digest") or "")[7:19]
        ver = f" v{graph['version']}" if graph.get("version") is not None else ""
        out.append(("graph", f"{graph.get('id') or '?'}{ver}" + (f" ({digest})" if digest else "")))
    out.append(("board", f"simulated: {target['sim_board']}" if target.get("simulated") else "real hardware"))
    return out


def target_rows(target: dict) -> list[tuple[str, str]]:
    """The target summary as rows (nested objects flattened one level: `host.os`)."""
    rows: list[tuple[str, str]] = []
    for key, v in target.items():
        if key in ("simulated", "sim_board"):
            continue
        if isinstance(v, dict):
            rows.extend((f"{key}.{k}", value(x)) for k, x in v.items())
        else:
            rows.append((key, value(v)))
    return rows


def redaction_line(report: dict) -> str:
    r = report["redaction"]
    if not r.get("applied"):
        return "Not redacted: this report may hold home paths, user and host names."
    parts = [f"{what.replace('-', ' ')}s ({n})" for what, n in r.get("replaced", {}).items() if n]
    uid = {"shortened": "board UID shortened", "kept": "board UID kept in full", "none-found": ""}[r["board_uid"]]
    done = ", ".join(p for p in [", ".join(parts), uid] if p)
    return "Redacted before writing: " + (done or "nothing needed it") + "."


def split_code(s: str) -> list[tuple[bool, str]]:
    """(is_code, text) pieces of `s`, code spans marked by single backticks."""
    out, pos = [], 0
    for m in CODE_SPAN.finditer(s):
        out += [(False, s[pos:m.start()]), (True, m.group(1))]
        pos = m.end()
    return [p for p in out + [(False, s[pos:])] if p[1]]


def fact_rows(facts: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, value) of every established fact, sorted, and the names of those left unknown (null)."""
    known = [(k, value(v)) for k, v in sorted(facts.items()) if v is not None and k not in SHOWN_ELSEWHERE]
    return known, sorted(k for k, v in facts.items() if v is None)


def after_rows(report: dict) -> tuple[str, str, list[str]] | None:
    """The fresh look after a repair (the `after` field): its verdict code, that verdict's title (empty when the code
    is not one this vescdoctor knows) and its findings; None when the report has none."""
    after = report.get("after")
    if not isinstance(after, dict) or not after.get("verdict"):
        return None
    from ..knowledge.verdicts import TITLES

    code = str(after["verdict"])
    findings = [str(f) for f in after.get("findings") or () if f != code]
    return code, TITLES.get(code, ""), findings
