"""A report as one self-contained HTML page: inline style, no script, no external resource, everything escaped.
The sections are those of sections.py, one block per line.

A Content-Security-Policy forbids scripts and fetches too, so even a renderer bug can't make the page run code or
call home.
"""
from __future__ import annotations

import html

from . import text
from .sections import (
    Alt,
    Block,
    Boxed,
    BulletList,
    Code,
    Em,
    Folded,
    Group,
    Heading,
    Inline,
    Mark,
    OrderedList,
    Para,
    Pre,
    Prose,
    Rich,
    Rule,
    Strong,
    Table,
    Text,
    Transcript,
    document,
)

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}
.verdict{border-left:4px solid #cf222e;padding:.2rem .8rem;background:#fff5f5}.ok{color:#1a7f37}.bad{color:#cf222e}
.meta{color:#57606a}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"
CODE_LIMIT = 300


def _e(s: object, *, limit: int | None = None) -> str:
    cleaned = text.clean(s, single_line=True)
    return html.escape(text.clip(cleaned, limit) if limit else cleaned, quote=True)


def _rich(s: object) -> str:
    """Escaped text where `code spans` become <code>."""
    return "".join(_code(piece) if is_code else _e(piece) for is_code, piece in text.split_code(str(s)))


def _code(s: object, limit: int = CODE_LIMIT) -> str:
    return f"<code>{_e(s, limit=limit)}</code>"


def _pre(lines: list[str]) -> str:
    return "<pre>" + "\n".join(_e(line) for line in lines) + "</pre>"


def inline(piece: Inline) -> str:
    if isinstance(piece, str):
        return piece
    if isinstance(piece, list):
        return "".join(inline(p) for p in piece)
    if isinstance(piece, Text):
        return _e(piece.value, limit=piece.limit)
    if isinstance(piece, Rich):
        return _rich(piece.value)
    if isinstance(piece, Code):
        return _code(piece.value, piece.limit or CODE_LIMIT)
    if isinstance(piece, Strong):
        return f"<strong>{inline(piece.content)}</strong>"
    if isinstance(piece, Em):
        return f"<em>{inline(piece.content)}</em>"
    assert isinstance(piece, Mark)
    return f'<span class="{piece.tone}">{piece.word}</span>' if piece.tone else piece.word


def _table(table: Table) -> str:
    th = "<tr>" + "".join(f"<th>{h}</th>" for h in table.head) + "</tr>" if table.head else ""
    rows = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table>{th}{rows}</table>"


def _items(tag: str, items: list[Inline]) -> str:
    return f"<{tag}>" + "".join(f"<li>{inline(item)}</li>" for item in items) + f"</{tag}>"


def _transcript(block: Transcript) -> str:
    return (f"<details><summary>{_e(block.name)} ({_e(block.state, limit=200)})</summary>"
            + _pre(block.lines) + "</details>")


def block_html(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{inline(block.content)}</h{block.level}>"
    if isinstance(block, Para):
        style = f' class="{block.style}"' if block.style else ""
        return f"<p{style}>{inline(block.content)}</p>"
    if isinstance(block, Prose):
        return "\n".join(f"<p>{_rich(par)}</p>" for par in text.clean(block.value).split("\n\n") if par.strip())
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, OrderedList | BulletList):
        return _items("ol" if isinstance(block, OrderedList) else "ul", block.items)
    if isinstance(block, Pre):
        return _pre(block.lines)
    if isinstance(block, Transcript):
        return _transcript(block)
    if isinstance(block, Boxed):
        return f'<div class="{block.style}">' + "\n".join(block_html(b) for b in block.blocks) + "</div>"
    if isinstance(block, Group):
        return "\n".join(block_html(b) for b in block.blocks)
    if isinstance(block, Folded):
        return f"<details><summary>{block.summary}</summary>" + "".join(block_html(b) for b in block.blocks) \
            + "</details>"
    if isinstance(block, Alt):
        return block_html(block.html) if block.html is not None else ""
    assert isinstance(block, Rule)
    return "<hr>"


def render_html(report: dict) -> str:
    doc = document(report)
    body, previous = "", None
    for block in doc.blocks:
        shown = block_html(block)
        if shown:  # a heading and what it heads on one line, every other block on its own
            body += ("" if previous is None or isinstance(previous, Heading) else "\n") + shown
            previous = block
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>vescdoctor report: {_e(doc.title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + body + "\n</body></html>\n")
