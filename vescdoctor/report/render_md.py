"""A report as Markdown fit to paste into a forum post (GitHub / Discourse flavour).

Every string from the report is cleaned of control characters and escaped for its place (text, table cell, code
span, code block), so a hostile report can't inject links, HTML or break the layout.
"""
from __future__ import annotations

import html
import re

from . import summary, text, words

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#!])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def md_text(s: object, *, single_line: bool = True) -> str:
    """Plain text with Markdown's punctuation escaped (and list/heading markers at line start)."""
    out = _MD_SPECIAL.sub(r"\\\1", text.clean(s, single_line=single_line))
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)


def md_rich(s: object, *, single_line: bool = True) -> str:
    """Like md_text, but `code spans` in the text stay code spans."""
    return "".join(code(piece, 300) if is_code else md_text(piece, single_line=single_line)
                   for is_code, piece in text.split_code(str(s)))


def code(s: object, limit: int = 200) -> str:
    """An inline code span that holds any text: a fence longer than its backtick runs; `|` escaped for tables."""
    body = text.clip(text.clean(s, single_line=True), limit).replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall("`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def code_block(lines: list[str]) -> list[str]:
    body = [text.clean(line, single_line=True) for line in lines]
    fence = "`" * max(3, max((len(r) + 1 for line in body for r in re.findall("`{3,}", line)), default=3))
    return [fence + "text", *body, fence]


def _table(head: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    return [f"| {head[0]} | {head[1]} |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]


def render_markdown(report: dict) -> str:
    out: list[str] = []
    verdict = report["verdict"]
    out += [f"# vescdoctor report: {md_text(summary.title(report))}", ""]
    out += _lead(report)
    out += [" · ".join(f"{label}: {md_text(v)}" for label, v in text.summary(report)), ""]

    out += ["## First diagnosis" if summary.state(report) in ("repaired", "fix-incomplete") else "## Verdict", ""]
    if verdict is None:
        out += ["The run stopped before it reached a verdict.", ""]
    else:
        out += [f"**{code(verdict['code'])}**: {md_text(verdict['title'])}", ""]
        if verdict["explanation"]:
            out += [md_rich(verdict["explanation"], single_line=False), ""]
        if verdict.get("next_steps") and summary.state(report) != "repaired":  # done: "What is left" says what is
            out += ["### Next steps", ""]
            out += [f"{i}. {md_rich(step)}" for i, step in enumerate(verdict["next_steps"], 1)] + [""]
    if report["findings"]:
        out += ["**Findings:** " + ", ".join(code(f) for f in report["findings"]), ""]

    out += ["## Board", ""]
    rows = [(md_text(k), code(v)) for k, v in text.target_rows(report["target"])]
    out += _table(("", ""), [("simulated", "yes, board " + code(report["target"]["sim_board"])
                              if report["target"]["simulated"] else "no")] + rows) + [""]

    if report["answers"]:
        out += ["## Answers", ""]
        out += _table(("question", "answer"), [(code(k), code(v)) for k, v in report["answers"].items()]) + [""]

    out += ["## Path through the decision graph", ""]
    for i, step in enumerate(report["path"], 1):
        outcome = f" → {code(step['outcome'])}" if step.get("outcome") is not None else ""
        out.append(f"{i}. {code(step['node'])} ({step['kind']}){outcome}")
    out += [] if report["path"] else ["(no steps recorded)"]
    out.append("")

    evidence = words.evidence(report["facts"])
    if evidence:
        out += ["## Evidence", "", "| from | fact | what it says |", "|---|---|---|"]
        out += [f"| {md_text(g)} | {md_text(label)} | {md_text(text.clip(said, 300))} |"
                for g, label, said in evidence]
        out += [""]

    after_map = (report.get("after") or {}).get("flash_map") if isinstance(report.get("after"), dict) else None
    out += ["## Flash map" + (" before the repair" if after_map else ""), ""]
    out += code_block(text.flash_map_lines(report["flash_map"])) + [""]
    if after_map:
        out += ["## Flash map after the repair", ""] + code_block(text.flash_map_lines(after_map)) + [""]

    if report["plan"]:
        out += ["## Fix plan", ""]
        for i, step in enumerate(report["plan"], 1):
            mark = " (erases or writes flash)" if step.get("destructive") else ""
            title = f": {md_text(step['title'])}" if step.get("title") else ""
            out.append(f"{i}. {code(step['step'])}{title}{mark}")
        out.append("")
    if report.get("images"):
        out += ["## Images", "", "| image | file | HW | version | sha256 |", "|---|---|---|---|---|"]
        for i in report["images"]:
            out.append(f"| {md_text(i['what'])} | {code(i['file'], 300)} | {code(i.get('hw') or '-')} | "
                       f"{code(i.get('version') or i.get('name') or '-')} | {code(i['sha256'])} |")
        out.append("")
        out += [f"- {md_text(i['what'])}: {md_text(i['release'])}" + (f", from {code(i['source'], 300)}"
                                                                       if i.get("source") else "")
                for i in report["images"] if i.get("release")]
        if any(i.get("release") for i in report["images"]):
            out.append("")
    if report["actions"]:
        out += ["## Actions", "", "| step | outcome | detail |", "|---|---|---|"]
        for a in report["actions"]:
            detail = " ".join(md_text(x) for x in (a.get("detail"), a.get("error")) if x)
            if a.get("file"):
                detail += f" {code(a['file'])}"
            secs = f" ({a['seconds']:.1f} s)" if a.get("seconds") is not None else ""
            state = {"ok": "ok", "stopped": "stopped", "failed": "**failed**"}[text.action_state(a)]
            out.append(f"| {code(a['step'])} | {state}{secs} | {detail.strip()} |")
        out.append("")
    if report["backups"]:
        out += ["## Backups", ""]
        out += [f"- {code(b['file'], 300)} sha256 {code(b['sha256'])}" for b in report["backups"]] + [""]

    after = text.after_rows(report)
    if after is not None:
        code_, title, findings = after
        out += ["## After the repair", "", "A fresh look at the board once the repair ran:", ""]
        out += [f"**{code(code_)}**" + (f": {md_text(title)}" if title else ""), ""]
        if findings:
            out += ["**Findings:** " + ", ".join(code(f) for f in findings), ""]

    if report["probes"]:
        out += ["## Probe transcripts", ""]
        for p in report["probes"]:
            # Inside an HTML block Markdown escapes don't apply: HTML-escape instead.
            state = "ok" if p["ok"] else "failed: " + (p.get("error") or "")
            head = html.escape(text.clip(text.clean(f"{p['name']} ({state})", single_line=True)))
            out += [f"<details><summary>{head}</summary>", ""]
            out += code_block(p["transcript"] or ["(no transcript)"]) + ["", "</details>", ""]

    out += _raw_facts(report)
    out += ["---", "", f"*{md_text(text.redaction_line(report))}*", ""]
    return "\n".join(out)


def _lead(report: dict) -> list[str]:
    """Where the board is now, what was done and what is left: the first lines under the title."""
    out = [f"- {md_text(line)}" for line in summary.lead_lines(report)] + [""]
    # a diagnosis alone: its next steps follow at once under the verdict, not twice
    repaired = summary.state(report) in ("repaired", "fix-incomplete")
    done, left = summary.done_lines(report), summary.left_lines(report) if repaired else []
    if done:
        out += ["**What was done:**", ""] + [f"{i}. {md_text(line)}" for i, line in enumerate(done, 1)] + [""]
    if left:
        out += ["**What is left:**", ""] + [f"- {md_rich(line)}" for line in left] + [""]
    return out


def _raw_facts(report: dict) -> list[str]:
    """The appendix: every fact as the probes recorded it (the JSON has them too)."""
    known, unknown = text.fact_rows(report["facts"])
    if not (known or unknown):
        return []
    out = ["## Raw facts", "", "As the probes recorded them (for helpers; the Evidence section says them in words).",
           ""]
    out += _table(("fact", "value"), [(code(k), code(v)) for k, v in known]) + [""] if known else []
    out += ["Not established: " + ", ".join(code(k) for k in unknown), ""] if unknown else []
    return out
