"""The `after` field (the fresh look after a repair, written by `fix` and the TUI): declared in the published schema
(optional), checked when a report is loaded, and shown by `report show` as "After the repair" in Markdown and HTML."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from vescdoctor.cli import main
from vescdoctor.errors import InputError
from vescdoctor.report import schema, write_report
from vescdoctor.report.load import load_report
from vescdoctor.report.render_html import render_html
from vescdoctor.report.render_md import render_markdown

from report_support import fix_report, forum_report
from testdata import DOCS_SCHEMA

AFTER = {"verdict": "healthy", "findings": ["healthy", "swd-needs-reset"]}


def _validators():
    return [jsonschema.Draft202012Validator(schema.SCHEMA),
            jsonschema.Draft202012Validator(json.loads(DOCS_SCHEMA.read_text()))]


def test_the_published_schema_declares_after_as_optional():
    published = json.loads(DOCS_SCHEMA.read_text())
    assert "after" in published["properties"] and "after" not in published["required"]
    after = published["properties"]["after"]
    assert after["properties"]["verdict"]["pattern"] == schema.SCHEMA["properties"]["verdict"]["properties"][
        "code"]["pattern"]


@pytest.mark.parametrize("after", [AFTER, {"verdict": "app-missing", "findings": []}, {"verdict": "healthy"}, None])
def test_reports_with_after_satisfy_the_schema(after):
    report = fix_report()
    report["after"] = after
    for validator in _validators():
        validator.validate(report)
    schema.validate(report)


def test_reports_without_after_still_satisfy_the_schema():
    report = forum_report()
    assert "after" not in report
    for validator in _validators():
        validator.validate(report)


@pytest.mark.parametrize("after, field", [
    ({"findings": []}, "after.verdict"),
    ({"verdict": "Not A Code"}, "after.verdict"),
    ({"verdict": "healthy", "findings": "healthy"}, "after.findings"),
    ("healthy", "after"),
])
def test_a_malformed_after_is_refused_on_load_naming_the_field(tmp_path, after, field):
    report = fix_report()
    report["after"] = after
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    with pytest.raises(InputError) as err:
        load_report(path)
    assert f"field {field}" in str(err.value)
    for validator in _validators():
        assert not validator.is_valid(report)


def test_markdown_shows_after_the_repair(tmp_path, capsys):
    report = fix_report()
    report["after"] = AFTER
    path = write_report(report, tmp_path / "report.json")
    assert main(["report", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\n## After the repair\n" in out
    assert "**`healthy`**: The VESC is healthy" in out
    assert "**Findings:** `swd-needs-reset`" in out  # the verdict itself is not listed again
    # after the actions and backups, before the transcripts
    assert out.index("## Backups") < out.index("## After the repair") < out.index("## Probe transcripts")


def test_html_shows_after_the_repair(tmp_path):
    report = fix_report()
    report["after"] = {"verdict": "app-missing", "findings": ["app-missing", "bootloader-missing"]}
    path = write_report(report, tmp_path / "report.json")
    out_file = tmp_path / "r.html"
    assert main(["report", "show", "--format", "html", str(path), "-o", str(out_file)]) == 0
    page = out_file.read_text()
    assert "<h2>After the repair</h2>" in page
    assert "<strong><code>app-missing</code></strong>: No firmware at 0x08000000" in page
    assert "<strong>Findings:</strong> <code>bootloader-missing</code>" in page


def test_no_after_section_without_after():
    report = fix_report()
    assert "After the repair" not in render_markdown(report)
    assert "After the repair" not in render_html(report)
    report["after"] = None
    assert "After the repair" not in render_markdown(report)
    assert "After the repair" not in render_html(report)


def test_an_unknown_after_code_is_shown_without_a_title():
    report = fix_report()
    report["after"] = {"verdict": "some-future-code", "findings": []}
    md = render_markdown(report)
    assert "**`some-future-code`**\n" in md
    assert "<strong><code>some-future-code</code></strong></p>" in render_html(report)


@pytest.mark.slow
def test_a_fix_report_carries_after_and_renders_it(tmp_path, capsys):
    """End to end: `vescdoctor fix` on the demo board writes `after`; the loaded file renders it."""
    from vescdoctor.commands.tui import make_demo

    demo = make_demo(tmp_path)
    code = main(["fix", "--sim", str(demo["board"]), "--bootloader", str(demo["bootloader"]),
                 "--firmware", str(demo["firmware"]), "--backup-dir", str(demo["backups"]),
                 "--report", str(demo["report"]), "--yes"])
    capsys.readouterr()
    assert code == 0
    report = load_report(demo["report"])
    assert report["after"]["verdict"] == "healthy"
    for validator in _validators():
        validator.validate(report)
    assert "## After the repair" in render_markdown(report)
    assert "<h2>After the repair</h2>" in render_html(report)
    # which images went on the board, as `sha256sum` names the files a helper may ask for
    import hashlib

    written = {(i["what"], Path(i["file"]).name, i["sha256"], i.get("hw")) for i in report["images"]}
    assert written == {("bootloader", demo["bootloader"].name,
                        hashlib.sha256(demo["bootloader"].read_bytes()).hexdigest(), None),
                       ("firmware", demo["firmware"].name,
                        hashlib.sha256(demo["firmware"].read_bytes()).hexdigest(), "410")}
    assert "## Images" in render_markdown(report)
