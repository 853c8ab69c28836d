"""The report model: what build_report produces satisfies the published schema (checked with jsonschema)."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from vescdoctor import __version__
from vescdoctor.flash_analysis import BytesReader, analyze
from vescdoctor.knowledge.flash import FLASH_SIZE
from vescdoctor.report import build_report, load_report, schema, to_json, write_report

from report_support import ALICE, fix_report, forum_report, forum_session
from testdata import DOCS_SCHEMA

VALIDATOR = jsonschema.Draft202012Validator(json.loads(DOCS_SCHEMA.read_text()))


def test_docs_schema_is_the_runtime_schema_and_a_valid_2020_12_schema():
    assert json.loads(DOCS_SCHEMA.read_text()) == schema.SCHEMA, \
        "regenerate docs/report.schema.json from vescdoctor.report.schema.schema_json()"
    jsonschema.Draft202012Validator.check_schema(schema.SCHEMA)


def test_schema_uses_only_keywords_the_runtime_validator_knows():
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                assert key in schema.KEYWORDS, key
                if key == "properties":
                    for sub in value.values():
                        walk(sub)
                elif key in ("items", "additionalProperties", "propertyNames"):
                    walk(value)
    walk(schema.SCHEMA)


@pytest.mark.parametrize("make", [forum_report, fix_report], ids=["diagnose", "fix"])
def test_built_reports_validate_against_the_schema(make):
    report = make()
    VALIDATOR.validate(report)
    schema.validate(report)
    json.loads(to_json(report))  # plain JSON, no NaN


def test_diagnose_report_holds_what_a_helper_needs():
    r = forum_report()
    assert (r["format"], r["version"]) == ("vescdoctor-report", 1)
    assert r["tool"] == {"name": "vescdoctor", "version": __version__}
    assert r["created"] == "2026-11-23T19:31:05Z"
    assert r["graph"]["id"] == "report-forum" and r["graph"]["version"] == "3"
    assert r["graph"]["digest"].startswith("sha256:") and len(r["graph"]["digest"]) == 71
    assert r["verdict"]["code"] == "app-missing"
    assert r["verdict"]["next_steps"][0].startswith("Flash the bootloader")
    assert r["findings"] == ["app-missing", "bootloader-missing"]
    assert r["answers"] == {"led": "blue-only", "symptom": "no-usb"}
    assert [(s["node"], s["kind"]) for s in r["path"]] == [
        ("led", "question"), ("symptom", "question"), ("usb", "probe"), ("swd", "probe"), ("flash", "probe"),
        ("conclude", "decision"), ("v-app-missing", "verdict")]
    assert r["path"][1]["outcome"] == "no-usb" and r["path"][-1]["outcome"] == "app-missing"
    assert [p["name"] for p in r["probes"]] == ["usb.scan", "swd.connect", "flash.map"]
    assert r["probes"][2]["facts"]["flash.app_runnable"] is False
    assert r["probes"][0]["transcript"][1] == "no VESC (0483:5740) on USB"
    assert r["facts"]["swd.optcr"] == 0x0FFFAAED
    assert r["target"]["simulated"] is True and r["target"]["sim_board"] == "bricked"  # the name, not the path
    assert r["actions"] == [] and r["backup"] is None and r["plan"] == []


def test_flash_map_has_twelve_sectors_with_address_size_role_and_state():
    fm = forum_report()["flash_map"]
    assert [s["sector"] for s in fm] == list(range(12))
    assert fm[11] == {"sector": 11, "address": 0x080E0000, "size": 128 * 1024, "role": "bootloader", "state": "data"}
    assert fm[1]["role"] == "config" and fm[1]["state"] == "unknown"
    assert fm[0]["state"] == "blank" and fm[8]["role"] == "buffer"


def test_flash_map_from_flashmap_analyze_object_and_from_the_flash_sectors_fact():
    flash = bytearray(b"\xff" * FLASH_SIZE)
    flash[0x080E0000 - 0x08000000:0x080E0000 - 0x08000000 + 16] = bytes(range(16))
    fmap = analyze(BytesReader(bytes(flash)))
    from_object = build_report(forum_session(), flash_map=fmap, identity=ALICE)["flash_map"]
    assert [s["state"] for s in from_object] == [s.state for s in fmap.sectors]
    result = forum_session()
    result.facts["flash.sectors"] = fmap.facts()["flash.sectors"]
    from_fact = build_report(result, identity=ALICE)["flash_map"]
    assert [s["state"] for s in from_fact] == [s["state"] for s in from_object]
    VALIDATOR.validate(build_report(result, identity=ALICE))


def test_fix_report_holds_plan_actions_and_backups():
    r = fix_report()
    assert r["command"] == "fix"
    assert r["plan"][1] == {"step": "write-bootloader", "title": "Bootloader to 0x080E0000", "destructive": True}
    assert r["actions"][0] == {"step": "backup", "ok": True, "file": "~/.local/share/vescdoctor/backup-0032.bin",
                               "seconds": 9.3}
    assert r["actions"][1]["ok"] is False and r["actions"][1]["error"] == "WRPERR on sector 11"
    assert r["backup"] == {"file": "~/.local/share/vescdoctor/backup-0032.bin", "sha256": "ab" * 32}
    assert r["backups"][0]["size"] == 1048576


def test_probe_facts_of_any_python_type_become_plain_json():
    result = forum_session()
    result.facts.update({"raw.bytes": b"\x01\xab", "raw.tuple": (1, 2), "raw.set": {3}, "raw.nan": float("nan"),
                         "raw.path": Path("/tmp/x")})
    facts = build_report(result, identity=ALICE)["facts"]
    assert (facts["raw.bytes"], facts["raw.tuple"], facts["raw.set"], facts["raw.nan"], facts["raw.path"]) == (
        "01ab", [1, 2], [3], None, "/tmp/x")


def test_huge_or_deep_facts_are_clipped_so_the_written_report_reads_back(tmp_path):
    result = forum_session()
    deep: list = []
    for _ in range(100):
        deep = [deep]
    result.facts.update({"raw.image": b"\xff" * 1_000_000, "raw.deep": deep, "raw.text": "x" * 1_000_000,
                         "raw.big": 2**200})
    out = write_report(build_report(result, identity=ALICE), tmp_path / "r.json")
    facts = load_report(out)["facts"]
    assert facts["raw.image"].startswith("ffff") and facts["raw.image"].endswith("(clipped)")
    assert facts["raw.big"] == str(2**200)


def test_overlong_probe_output_is_clipped_to_fit_the_schema():
    result = forum_session()
    result.probe_runs[0].transcript = ["x" * 10_000] * 6000
    result.probe_runs[0].error = "e" * 5000
    report = build_report(result, identity=ALICE)
    VALIDATOR.validate(report)
    assert len(report["probes"][0]["transcript"]) == 5000


def test_a_report_stopped_before_its_verdict_is_still_valid():
    result = forum_session()
    result.verdict = None
    report = build_report(result, identity=ALICE, command="tui")
    VALIDATOR.validate(report)


def test_write_report_is_atomic_redacted_and_loads_back(tmp_path):
    unredacted = forum_report(redact=False)
    out = write_report(unredacted, tmp_path / "r.json", identity=ALICE)
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind
    loaded = load_report(out)
    assert loaded["redaction"]["applied"] is True and "alice" not in out.read_text()
    VALIDATOR.validate(loaded)


def test_write_report_refuses_a_report_that_breaks_the_schema(tmp_path):
    report = forum_report()
    report["findings"] = ["Not A Code"]
    with pytest.raises(ValueError, match=r"breaks its own format: field findings\[0\]"):
        write_report(report, tmp_path / "r.json")
    assert not list(tmp_path.iterdir())


def test_write_report_to_an_unwritable_place_is_one_input_error(tmp_path):
    from vescdoctor.errors import InputError
    with pytest.raises(InputError, match="cannot write"):
        write_report(forum_report(), tmp_path / "no-such-dir" / "r.json")


def test_a_fix_report_names_the_images_it_wrote_and_renders_them():
    """What a forum helper asks first: which firmware and bootloader went on the board."""
    from vescdoctor.report.render_html import render_html
    from vescdoctor.report.render_md import render_markdown

    images = [{"what": "bootloader", "file": "/home/alice/vesc/generic.bin", "sha256": "cd" * 32, "format": "bin",
               "size": 5388, "hw": None, "version": None, "name": "generic.bin"},
              {"what": "firmware", "file": "/home/alice/vesc/VESC_default.bin", "sha256": "ef" * 32,
               "format": "bin", "size": 393208, "hw": "410", "version": "5.03"}]
    report = fix_report(images=images)
    VALIDATOR.validate(report)
    assert [(i["what"], i["hw"] if "hw" in i else None, i.get("version")) for i in report["images"]] == [
        ("bootloader", None, None), ("firmware", "410", "5.03")]
    assert "/home/alice" not in json.dumps(report)  # redacted like every other path
    md = render_markdown(load_report_text(report))
    assert "## Images" in md and "| firmware | `~/vesc/VESC_default.bin` | `410` | `5.03` |" in md, md
    assert "VESC_default.bin" in render_html(load_report_text(report))
    assert "images" not in forum_report()  # a diagnosis writes nothing: no field


def load_report_text(report: dict) -> dict:
    """The report as a reader gets it: written and loaded back through the checks."""
    from vescdoctor.report.load import parse_report

    return parse_report(to_json(report).encode(), "report.json")
