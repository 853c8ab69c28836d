"""`vescdoctor report show`: Markdown for a forum post, a self-contained HTML page; hostile strings stay inert."""
from __future__ import annotations

import html
import re

import pytest

from vescdoctor.cli import main
from vescdoctor.report import write_report
from vescdoctor.report.render_html import render_html
from vescdoctor.report.render_md import code, md_text, render_markdown

from report_support import fix_report, forum_report

EVIL = "a|b `tick` ``` <script>alert(1)</script> [x](http://evil.example) \x1b[31mred\x1b[0m \u202eRLO *bold* &amp;"


@pytest.fixture
def report_file(tmp_path):
    return write_report(fix_report(), tmp_path / "report.json")


def test_markdown_has_headings_verdict_facts_table_path_flash_map_actions_next_steps(report_file, capsys):
    assert main(["report", "show", str(report_file)]) == 0
    out = capsys.readouterr().out
    # a fix that failed (write-bootloader) leads with that, then the first diagnosis
    assert out.startswith("# vescdoctor report: The repair did not complete: No firmware at 0x08000000\n")
    assert "- Done: 1 of 2 repair steps completed (the repair did not complete)" in out
    assert "2. Step write-bootloader FAILED: WRPERR on sector 11" in out and "Now: not known" in out
    for heading in ("## First diagnosis", "### Next steps", "## Board", "## Answers",
                    "## Path through the decision graph", "## Evidence", "## Flash map", "## Fix plan", "## Actions",
                    "## Backups", "## Probe transcripts", "## Raw facts"):
        assert f"\n{heading}\n" in out, heading
    assert "**`app-missing`**: No firmware at 0x08000000" in out
    assert "1. Flash the bootloader at 0x080E0000." in out
    assert "**Findings:** `app-missing`, `bootloader-missing`" in out
    assert "| fact | value |\n|---|---|\n" in out and "| `swd.optcr` | `0x0FFFAAED (268413677)` |" in out
    assert "3. `usb` (probe) → `ok`" in out and "7. `v-app-missing` (verdict) → `app-missing`" in out
    assert "\n    11  0x080E0000  128K  bootloader  data\n" in out
    assert "| `write-bootloader` | **failed** | WRPERR on sector 11 |" in out
    assert "board UID shortened" in out


def test_markdown_tables_keep_their_shape_with_hostile_strings():
    report = forum_report()
    report["facts"] = {"evil": EVIL, EVIL: 1}
    md = render_markdown(report)
    facts = md.split("## Raw facts\n\n")[1].split("\n\n")[1].splitlines()
    assert len(facts) == 4
    for row in facts:  # every row still has exactly two cells: no unescaped pipe
        assert len(re.findall(r"(?<!\\)\|", row)) == 3, row
    assert "\x1b" not in md and "\u202e" not in md
    # Raw HTML only ever inside a code span, where every Markdown renderer shows it as text.
    evil_row = next(row for row in facts if row.startswith("| `evil` |"))
    assert evil_row.startswith("| `evil` | ````a") and evil_row.endswith("&amp;```` |")
    evidence = md.split("## Evidence\n\n")[1].split("\n\n")[0].splitlines()
    assert len(evidence) == 4
    for row in evidence:  # words too: three cells, no unescaped pipe, no raw HTML
        assert len(re.findall(r"(?<!\\)\|", row)) == 4, row
        assert "<script>" not in row
    report["verdict"]["title"] = EVIL
    assert "<script>" not in render_markdown(report).splitlines()[0]


def test_markdown_escaping_helpers():
    assert md_text("[x](http://e) <b> *y*") == r"\[x\](http://e) \<b\> \*y\*"
    assert md_text("# not a heading") == r"\# not a heading"
    assert code("a`b") == "``a`b``" and code("`x`") == "`` `x` ``"
    assert code("a|b") == r"`a\|b`"


def test_html_is_self_contained_and_everything_is_escaped(tmp_path, capsys):
    report = fix_report()
    report["verdict"]["explanation"] = EVIL
    report["facts"]["evil"] = EVIL
    report["probes"][0]["transcript"].append(EVIL)
    path = write_report(report, tmp_path / "evil.json")
    out = tmp_path / "page.html"
    assert main(["report", "show", str(path), "--format", "html", "-o", str(out)]) == 0
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    assert "<script" not in page.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"(src|href)\s*=", page, re.I)  # nothing fetched, nothing linked
    assert "\x1b" not in page and "\u202e" not in page
    assert "&amp;amp;" in page
    assert "<h2>Flash map</h2>" in page and "0x080E0000" in page and "<h2>Actions</h2>" in page
    assert capsys.readouterr().out == ""


def test_render_of_a_report_without_verdict():
    report = forum_report(command="tui")
    report["verdict"] = None
    assert "The run stopped before it reached a verdict." in render_markdown(report)
    assert "The run stopped before it reached a verdict." in render_html(report)


def test_markdown_to_a_file(report_file, tmp_path, capsys):
    out = tmp_path / "post.md"
    assert main(["report", "show", str(report_file), "-o", str(out)]) == 0
    assert out.read_text().startswith("# vescdoctor report")
    assert capsys.readouterr().out == ""


def test_code_spans_in_verdict_text_stay_code_and_stay_inert():
    report = forum_report()
    report["verdict"]["next_steps"] = ["Run `vescdoctor fix --firmware FW.bin` now", "Try `<img src=x>` [not](a link)"]
    md = render_markdown(report)
    assert "1. Run `vescdoctor fix --firmware FW.bin` now" in md
    assert r"2. Try `<img src=x>` \[not\](a link)" in md
    page = render_html(report)
    assert "<li>Run <code>vescdoctor fix --firmware FW.bin</code> now</li>" in page
    assert "<code>&lt;img src=x&gt;</code>" in page


def test_unknown_facts_are_listed_apart_and_flash_sectors_left_to_the_flash_map():
    report = forum_report()
    report["facts"].update({"vesc.hw_name": None, "vesc.fw_major": None, "flash.sectors": [{"number": 0}]})
    md = render_markdown(report)
    assert "Not established: `vesc.fw_major`, `vesc.hw_name`" in md
    assert "| `vesc.hw_name` |" not in md and "`flash.sectors`" not in md


def test_html_page_title_is_the_reports_verdict_even_with_an_after_section():
    """The page title and the <h1> come from one place (summary.title, through the section model)."""
    report = fix_report()
    report["after"] = {"verdict": "some-future-code", "findings": []}
    page = render_html(report)
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert f"<h1>{title}</h1>" in page and title.startswith("vescdoctor report: ")


def test_markdown_and_html_show_the_same_sections_in_the_same_order():
    report = fix_report()
    report["after"] = {"verdict": "healthy", "findings": []}
    md = [line[3:] for line in render_markdown(report).splitlines() if line.startswith("## ")]
    page = [html.unescape(h) for h in re.findall(r"<h2>(.*?)</h2>", render_html(report))]
    assert md == page and len(md) >= 10, (md, page)
