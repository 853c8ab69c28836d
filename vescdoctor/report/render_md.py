"""A report as Markdown fit to paste into a forum post (GitHub / Discourse flavour): the sections of sections.py.

Every string from the report is cleaned of control characters and escaped for its place (text, table cell, code
span, code block), so a hostile report can't inject links, HTML or break the layout.
"""
from __future__ import annotations

import html
import re

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

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#!])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)
CODE_LIMIT = 200  # a forum post: long values clipped sooner than on the HTML page


def md_text(s: object, *, single_line: bool = True) -> str:
    """Plain text with Markdown's punctuation escaped (and list/heading markers at line start)."""
    out = _MD_SPECIAL.sub(r"\\\1", text.clean(s, single_line=single_line))
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)


def md_rich(s: object, *, single_line: bool = True) -> str:
    """Like md_text, but `code spans` in the text stay code spans."""
    return "".join(code(piece, 300) if is_code else md_text(piece, single_line=single_line)
                   for is_code, piece in text.split_code(str(s)))


def code(s: object, limit: int = CODE_LIMIT) -> str:
    """An inline code span that holds any text: a fence longer than its backtick runs; `|` escaped for tables."""
    body = text.clip(text.clean(s, single_line=True), limit).replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall("`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def code_block(lines: list[str]) -> list[str]:
    body = [text.clean(line, single_line=True) for line in lines]
    fence = "`" * max(3, max((len(r) + 1 for line in body for r in re.findall("`{3,}", line)), default=3))
    return [fence + "text", *body, fence]


def inline(piece: Inline) -> str:
    if isinstance(piece, str):
        return piece
    if isinstance(piece, list):
        return "".join(inline(p) for p in piece)
    if isinstance(piece, Text):
        return md_text(text.clip(str(piece.value), piece.limit) if piece.limit else piece.value)
    if isinstance(piece, Rich):
        return md_rich(piece.value)
    if isinstance(piece, Code):
        return code(piece.value, piece.limit or CODE_LIMIT)
    if isinstance(piece, Strong):
        return f"**{inline(piece.content)}**"
    if isinstance(piece, Em):
        return f"*{inline(piece.content)}*"
    assert isinstance(piece, Mark)
    return f"**{piece.word}**" if piece.tone == "bad" else piece.word


def _table(table: Table) -> list[str]:
    width = len(table.head) if table.head else len(table.rows[0])
    head = table.head or ("",) * width
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * width]
    return lines + ["| " + " | ".join(inline(cell).strip() for cell in row) + " |" for row in table.rows]


def _transcript(block: Transcript) -> list[str]:
    # Inside an HTML block Markdown escapes don't apply: HTML-escape instead.
    summary = html.escape(text.clip(text.clean(f"{block.name} ({block.state})", single_line=True)))
    return [f"<details><summary>{summary}</summary>", "", *code_block(block.lines), "", "</details>"]


def block_lines(block: Block) -> list[str]:
    """The lines of one block (without the blank line that follows every block)."""
    if isinstance(block, Heading):
        return ["#" * block.level + " " + inline(block.content)]
    if isinstance(block, Para):
        return [inline(block.content)]
    if isinstance(block, Prose):
        return [md_rich(block.value, single_line=False)]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, OrderedList):
        return [f"{i}. {inline(item)}" for i, item in enumerate(block.items, 1)]
    if isinstance(block, BulletList):
        return [f"- {inline(item)}" for item in block.items]
    if isinstance(block, Pre):
        return code_block(block.lines)
    if isinstance(block, Transcript):
        return _transcript(block)
    if isinstance(block, Boxed | Group | Folded):
        return "\n\n".join("\n".join(block_lines(b)) for b in block.blocks).split("\n")
    if isinstance(block, Alt):
        return block_lines(block.markdown) if block.markdown is not None else []
    assert isinstance(block, Rule)
    return ["---"]


def render_markdown(report: dict) -> str:
    out: list[str] = []
    for block in document(report).blocks:
        if not (isinstance(block, Alt) and block.markdown is None):
            out += [*block_lines(block), ""]
    return "\n".join(out)
