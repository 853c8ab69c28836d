"""A report leads with where the board is now: after a repair its title and first lines are the final verdict and
what was done, the first diagnosis follows, the flash map before and after; facts in words, raw facts last;
`report show --summary` is a short paste-ready text."""
from __future__ import annotations

import re

import pytest

from vescdoctor.cli import main
from vescdoctor.report.load import load_report
from vescdoctor.report.render_html import render_html
from vescdoctor.report.render_md import render_markdown
from vescdoctor.report.summary import summary_text
from vescdoctor.report.words import attempt_words, evidence, fact_words

from report_support import fix_report, forum_report


@pytest.fixture(scope="module")
def repaired(tmp_path_factory):
    """The demo board after `vescdoctor fix`: the report file."""
    from vescdoctor.commands.tui import make_demo

    demo = make_demo(tmp_path_factory.mktemp("demo"))
    code = main(["fix", "--sim", str(demo["board"]), "--bootloader", str(demo["bootloader"]),
                 "--firmware", str(demo["firmware"]), "--backup-dir", str(demo["backups"]),
                 "--report", str(demo["report"]), "--yes"])
    assert code == 0
    return demo["report"]


@pytest.mark.slow
def test_a_report_after_a_fix_leads_with_healthy(repaired, capsys):
    capsys.readouterr()
    assert main(["report", "show", str(repaired)]) == 0
    md = capsys.readouterr().out
    lines = md.splitlines()
    assert lines[0] == "# vescdoctor report: The VESC is healthy (after the repair)"
    assert "healthy" in lines[2] and "Now: healthy" in lines[2]
    head = "\n".join(lines[:20])
    assert "Before the repair: app-missing" in head and "Wrote the firmware" in head and "Backed up" in head
    assert md.index("Now: healthy") < md.index("## First diagnosis") < md.index("## Evidence")
    assert "Run `vescdoctor fix" not in md.split("## Board")[0]  # no stale next step before the board
    assert "## Flash map before the repair" in md and "## Flash map after the repair" in md
    after_map = md.split("## Flash map after the repair")[1].split("```")[1]
    assert re.search(r"\n\s+0\s+0x08000000\s+16K\s+app\s+data", after_map)
    assert md.index("## Raw facts") > md.index("## Probe transcripts")


@pytest.mark.slow
def test_html_title_and_h1_agree_and_raw_facts_are_collapsed(repaired):
    page = render_html(load_report(repaired))
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    h1 = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert title == h1 == "vescdoctor report: The VESC is healthy (after the repair)"
    assert "<h2>Raw facts</h2><details><summary>" in page
    assert "<h2>Flash map after the repair</h2>" in page
    evidence_html = page.split("<h2>Evidence</h2>")[1].split("</table>")[0]
    assert "4294967295" not in evidence_html and "0xFFFFFFFF (erased)" in evidence_html
    assert "268919827" not in evidence_html and "IDCODE 0x10076413" in evidence_html


@pytest.mark.slow
def test_the_summary_is_short_and_says_now_done_left(repaired, capsys):
    capsys.readouterr()
    assert main(["report", "show", str(repaired), "--summary"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) < 40
    assert lines[0] == "vescdoctor: The VESC is healthy (after the repair)"
    for words in ("Now: healthy", "Before the repair: app-missing", "Board: simulated", "What was done:",
                  "Wrote the bootloader", "What is left:", "Nothing"):
        assert words in out, words


def test_the_summary_of_a_huge_hostile_report_stays_short_and_clean():
    report = fix_report()
    report["actions"] = report["actions"] * 100
    report["verdict"]["next_steps"] = ["\x1b[31mstep\u202e"] * 50
    out = summary_text(report)
    assert len(out.splitlines()) < 40 and "\x1b" not in out and "\u202e" not in out


def test_a_diagnosis_leads_with_its_verdict():
    md = render_markdown(forum_report())
    assert md.startswith("# vescdoctor report: No firmware at 0x08000000\n\n- Now: app-missing")
    assert "## Verdict" in md and "## First diagnosis" not in md


@pytest.mark.parametrize("name, value, said", [
    ("flash.app_reset", 4294967295, "0xFFFFFFFF (erased)"),
    ("flash.app_reset", 0x0800C001, "0x0800C001"),
    ("swd.idcode", 268919827, "IDCODE 0x10076413: STM32F405/407/415/417, revision 2"),
    ("swd.target_voltage", 3.2996, "3.30 V"),
    ("swd.rdp_byte", 0xAA, "0xAA (level 0, no read protection)"),
    ("swd.optcr", 268413677, "0x0FFFAAED (factory-clean)"),
    ("flash.config_pages", {"1": "valid", "2": "erased"}, "sector 1: valid, sector 2: erased"),
    ("swd.wrp_sectors", [], "none"),
    ("usb.vesc_present", False, "no"),
    ("some.future_fact", 0x20000000, "0x20000000 (536870912)"),
    ("swd.idcode", "not a number", "not a number"),  # a report from elsewhere: said as it is
])
def test_facts_in_words(name, value, said):
    assert fact_words(name, value)[1] == said


def test_attempts_are_sentences():
    said = fact_words("swd.attempts", [{"mode": "attach", "ok": False, "error": "no ACK", "target_voltage": 3.3},
                                       {"mode": "under-reset", "ok": True, "error": None}])[1]
    assert said == ("connect without halting the core: no answer, board at 3.30 V (no ACK); then connect under "
                    "reset (NRST held low): answered")
    assert attempt_words("junk") == "junk"


def test_evidence_leaves_answers_and_the_flash_map_to_their_sections():
    rows = evidence({"answer.hw": "410", "flash.sectors": [], "swd.connected": True, "vesc.port": None})
    assert rows == [("SWD", "connected", "yes")]
