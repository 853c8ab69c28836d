"""A report as one self-contained HTML page: inline style, no script, no external resource, everything escaped.

A Content-Security-Policy forbids scripts and fetches too, so even a renderer bug can't make the page run code or
call home.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

from . import summary, text, words

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}
.verdict{border-left:4px solid #cf222e;padding:.2rem .8rem;background:#fff5f5}.ok{color:#1a7f37}.bad{color:#cf222e}
.meta{color:#57606a}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"


def _e(s: object, *, limit: int | None = None) -> str:
    cleaned = text.clean(s, single_line=True)
    return html.escape(text.clip(cleaned, limit) if limit else cleaned, quote=True)


def _rich(s: object) -> str:
    """Escaped text where `code spans` become <code>."""
    return "".join(_code(piece) if is_code else _e(piece) for is_code, piece in text.split_code(str(s)))


def _code(s: object, limit: int = 300) -> str:
    return f"<code>{_e(s, limit=limit)}</code>"


def _pre(lines: list[str]) -> str:
    return "<pre>" + "\n".join(_e(line) for line in lines) + "</pre>"


def _table(head: tuple[str, ...] | None, rows: Sequence[tuple[str, ...]]) -> str:
    """Cells are already HTML (escaped by the caller)."""
    th = "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" if head else ""
    return "<table>" + th + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>"


def render_html(report: dict) -> str:
    verdict = report["verdict"]
    title = summary.title(report)  # one title for <title> and <h1>
    repaired = summary.state(report) in ("repaired", "fix-incomplete")
    body: list[str] = [f"<h1>vescdoctor report: {_e(title)}</h1>", *_lead(report),
                       '<p class="meta">' + " · ".join(f"{_e(k)}: {_e(v)}" for k, v in text.summary(report))
                       + "</p>", "<h2>First diagnosis</h2>" if repaired else "<h2>Verdict</h2>"]
    if verdict is None:
        body.append("<p>The run stopped before it reached a verdict.</p>")
    else:
        body.append(f'<div class="verdict"><p><strong>{_code(verdict["code"])}</strong>: {_e(verdict["title"])}</p>')
        body += [f"<p>{_rich(par)}</p>" for par in text.clean(verdict["explanation"]).split("\n\n") if par.strip()]
        body.append("</div>")
        if verdict.get("next_steps") and summary.state(report) != "repaired":
            body.append("<h3>Next steps</h3><ol>" + "".join(f"<li>{_rich(s)}</li>" for s in verdict["next_steps"])
                        + "</ol>")
    if report["findings"]:
        body.append("<p><strong>Findings:</strong> " + ", ".join(_code(f) for f in report["findings"]) + "</p>")

    target = report["target"]
    body.append("<h2>Board</h2>" + _table(None, [("simulated", f"yes, board {_code(target['sim_board'])}"
                                                  if target["simulated"] else "no")]
                                          + [(_e(k), _code(v)) for k, v in text.target_rows(target)]))
    if report["answers"]:
        body.append("<h2>Answers</h2>" + _table(("question", "answer"),
                                               [(_code(k), _code(v)) for k, v in report["answers"].items()]))
    steps = "".join(f"<li>{_code(s['node'])} ({_e(s['kind'])})"
                    + (f" → {_code(s['outcome'])}" if s.get("outcome") is not None else "") + "</li>"
                    for s in report["path"])
    body.append("<h2>Path through the decision graph</h2>" + (f"<ol>{steps}</ol>" if steps else
                                                              "<p>(no steps recorded)</p>"))
    evidence = words.evidence(report["facts"])
    if evidence:
        rows = [(_e(g), _e(label), _e(said, limit=300)) for g, label, said in evidence]
        body.append("<h2>Evidence</h2>" + _table(("from", "fact", "what it says"), rows))
    after_map = (report.get("after") or {}).get("flash_map") if isinstance(report.get("after"), dict) else None
    body.append(f"<h2>Flash map{' before the repair' if after_map else ''}</h2>"
                + _pre(text.flash_map_lines(report["flash_map"])))
    if after_map:
        body.append("<h2>Flash map after the repair</h2>" + _pre(text.flash_map_lines(after_map)))
    if report["plan"]:
        body.append("<h2>Fix plan</h2><ol>" + "".join(
            f"<li>{_code(p['step'])}" + (f": {_e(p['title'])}" if p.get("title") else "")
            + (" (erases or writes flash)" if p.get("destructive") else "") + "</li>" for p in report["plan"])
                    + "</ol>")
    if report.get("images"):
        body.append("<h2>Images</h2>" + _table(("image", "file", "HW", "version", "sha256"), [
            (_e(i["what"]), _code(i["file"]), _code(i.get("hw") or "-"),
             _code(i.get("version") or i.get("name") or "-"), _code(i["sha256"])) for i in report["images"]]))
    if report["actions"]:
        rows = []
        for a in report["actions"]:
            outcome = {"ok": '<span class="ok">ok</span>', "stopped": "stopped",
                       "failed": '<span class="bad">failed</span>'}[text.action_state(a)]
            if a.get("seconds") is not None:
                outcome += f" ({a['seconds']:.1f} s)"
            detail = " ".join(_e(x) for x in (a.get("detail"), a.get("error")) if x)
            if a.get("file"):
                detail += " " + _code(a["file"])
            rows.append((_code(a["step"]), outcome, detail))
        body.append("<h2>Actions</h2>" + _table(("step", "outcome", "detail"), rows))
    if report["backups"]:
        body.append("<h2>Backups</h2>" + _table(("file", "sha256"), [(_code(b["file"]), _code(b["sha256"]))
                                                                    for b in report["backups"]]))
    after = text.after_rows(report)
    if after is not None:
        code, after_title, findings = after
        body.append("<h2>After the repair</h2><p>A fresh look at the board once the repair ran:</p>"
                    f"<p><strong>{_code(code)}</strong>" + (f": {_e(after_title)}" if after_title else "") + "</p>")
        if findings:
            body.append("<p><strong>Findings:</strong> " + ", ".join(_code(f) for f in findings) + "</p>")
    if report["probes"]:
        body.append("<h2>Probe transcripts</h2>")
        for p in report["probes"]:
            state = "ok" if p["ok"] else "failed: " + (p.get("error") or "")
            body.append(f"<details><summary>{_e(p['name'])} ({_e(state, limit=200)})</summary>"
                        + _pre(p["transcript"] or ["(no transcript)"]) + "</details>")
    body += _raw_facts(report)
    body.append(f'<hr><p class="meta"><em>{_e(text.redaction_line(report))}</em></p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>vescdoctor report: {_e(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _lead(report: dict) -> list[str]:
    """Where the board is now, what was done and what is left: the first lines under the <h1>."""
    out = ["<ul>" + "".join(f"<li>{_e(line)}</li>" for line in summary.lead_lines(report)) + "</ul>"]
    # a diagnosis alone: its next steps follow at once under the verdict, not twice
    repaired = summary.state(report) in ("repaired", "fix-incomplete")
    done, left = summary.done_lines(report), summary.left_lines(report) if repaired else []
    if done:
        out.append("<p><strong>What was done:</strong></p><ol>" + "".join(f"<li>{_e(x)}</li>" for x in done)
                   + "</ol>")
    if left:
        out.append("<p><strong>What is left:</strong></p><ul>" + "".join(f"<li>{_rich(x)}</li>" for x in left)
                   + "</ul>")
    return out


def _raw_facts(report: dict) -> list[str]:
    """Every fact as the probes recorded it, collapsed: for helpers (the Evidence section says them in words)."""
    known, unknown = text.fact_rows(report["facts"])
    if not (known or unknown):
        return []
    inner = _table(("fact", "value"), [(_code(k), _code(v)) for k, v in known]) if known else ""
    if unknown:
        inner += "<p>Not established: " + ", ".join(_code(k) for k in unknown) + "</p>"
    return [f"<h2>Raw facts</h2><details><summary>the facts as recorded ({len(known)} established, "
            f"{len(unknown)} not)</summary>{inner}</details>"]
