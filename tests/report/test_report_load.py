"""Reports from strangers: every malformed or hostile file is refused with exit 2 and one line naming the file (and
the field), with no traceback, nothing written and nothing run. Fuzzed with hypothesis."""
from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vescdoctor.cli import main
from vescdoctor.errors import InputError
from vescdoctor.report import load_report, parse_report, schema, to_json
from vescdoctor.report.render_html import render_html
from vescdoctor.report.render_md import render_markdown

from report_support import forum_report

GOOD = forum_report()
GOOD_TEXT = to_json(GOOD)
VALIDATOR = jsonschema.Draft202012Validator(schema.SCHEMA)


def _with(**changes) -> str:
    report = json.loads(GOOD_TEXT)
    for dotted, value in changes.items():
        target = report
        *parents, last = dotted.split("__")
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target[p]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return json.dumps(report)


HOSTILE = {
    "yaml-python-tag": ("!!python/object/apply:os.system ['touch {pwned}']\n", "looks like YAML"),
    "yaml-document": ("format: vescdoctor-report\nversion: 1\n", "looks like YAML"),
    "yaml-in-json-clothes": ('{"format": !!python/name:os.system , "version": 1}', "not valid JSON"),
    "truncated": (GOOD_TEXT[: len(GOOD_TEXT) // 2], "truncated"),
    "empty": ("", "empty"),
    "binary-nul": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "not-utf8": (b'{"format": "\xff\xfe"}', "not UTF-8"),
    "json-array": ("[1, 2, 3]", "not a JSON object"),
    "other-json": ('{"name": "package.json"}', "not a vescdoctor report"),
    "unknown-version": (_with(version=2), "report version 2 is not supported"),
    "version-as-text": (_with(version="1"), "field version: expected an integer"),
    "no-version": ('{"format": "vescdoctor-report"}', "field version: missing"),
    "wrong-type-verdict-code": (_with(verdict__code=5), "field verdict.code: expected string"),
    "wrong-type-path": (_with(path="led"), "field path: expected a list"),
    "wrong-type-probe-ok": (_with(probes__0__ok="yes"), "field probes[0].ok: expected boolean"),
    "wrong-kind": (_with(path__2__kind="shell"), "field path[2].kind: expected one of"),
    "bad-sector": (_with(flash_map__3__sector=99), "field flash_map[3].sector: out of range"),
    "float-sector": (_with(flash_map__3__sector=3.0), "field flash_map[3].sector: expected integer, found a number"),
    "missing-verdict": ('{"format": "vescdoctor-report", "version": 1}', "missing"),
    "nan": (GOOD_TEXT.replace('"swd.rdp_level": 0', '"swd.rdp_level": NaN'), "NaN is not a JSON number"),
    "duplicate-key": (GOOD_TEXT.replace('"version": 1,', '"version": 1, "version": 1,'), "duplicate key"),
    "huge-int": (GOOD_TEXT.replace('"swd.rdp_level": 0', '"swd.rdp_level": ' + "9" * 5000), "not valid JSON"),
    "big-int": (GOOD_TEXT.replace('"swd.rdp_level": 0', '"swd.rdp_level": ' + "9" * 30), "out of range"),
    "1MB-field": (_with(facts={"big": "x" * 1_000_000}), "field facts.big: too long"),
    "long-title": (_with(verdict__title="t" * 3000), "field verdict.title: too long"),
    "deeply-nested": (_with(facts={"deep": json.loads("[" * 100 + "]" * 100)}), "nested too deeply"),
    "nested-beyond-recursion": ('{"format": "vescdoctor-report", "version": 1, "x": ' + "[" * 100_000
                                + "]" * 100_000 + "}", "nested too deeply"),
}


@pytest.mark.parametrize("command", [["report", "show", "{f}", "-o", "{out}"],
                                     ["report", "show", "{f}", "--format", "html", "-o", "{out}"],
                                     ["replay", "{f}"]], ids=["md", "html", "replay"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_report_is_refused_with_exit_2_and_one_line(case, command, tmp_path, capsys):
    content, expected = HOSTILE[case]
    f, out, pwned = tmp_path / "report.json", tmp_path / "out.txt", tmp_path / "PWNED"
    if isinstance(content, str):
        content = content.replace("{pwned}", str(pwned)).encode()
    f.write_bytes(content)
    code = main([a.replace("{f}", str(f)).replace("{out}", str(out)) for a in command])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vescdoctor: {f}: "), captured.err
    assert expected in lines[0]
    assert "Traceback" not in captured.err and len(lines[0]) < 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no output, nothing run


def test_50_MB_field_is_refused_before_parsing(tmp_path, capsys):
    f = tmp_path / "big.json"
    with open(f, "w") as fh:
        fh.write('{"format": "vescdoctor-report", "version": 1, "facts": {"x": "')
        fh.write("A" * (50 * 1024 * 1024))
        fh.write('"}}')
    assert main(["report", "show", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "too large" in err


@pytest.mark.parametrize("make", [lambda p: p / "missing.json", lambda p: p], ids=["missing", "directory"])
def test_missing_file_or_directory(make, tmp_path, capsys):
    assert main(["report", "show", str(make(tmp_path))]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_fields_beyond_the_schema_are_welcome_but_bounded():
    extra = json.loads(GOOD_TEXT)
    extra["from_the_future"] = {"nested": [1, 2, {"ok": True}]}
    assert parse_report(json.dumps(extra).encode(), "r.json")["from_the_future"]["nested"][2] == {"ok": True}
    extra["from_the_future"] = "x" * 100_000
    with pytest.raises(InputError, match="field from_the_future: too long"):
        parse_report(json.dumps(extra).encode(), "r.json")


def test_good_report_round_trips(tmp_path):
    f = tmp_path / "r.json"
    f.write_text(GOOD_TEXT)
    assert load_report(f) == GOOD


# --- fuzzing -----------------------------------------------------------------------------------------------------

def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(GOOD) if p]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)


def _accepts_or_refuses(raw: bytes) -> dict | None:
    """The loader's contract: a report valid under the published schema, or one-line InputError; nothing else."""
    try:
        report = parse_report(raw, "fuzz.json")
    except InputError as exc:
        assert str(exc).startswith("fuzz.json: ") and "\n" not in str(exc)
        return None
    VALIDATOR.validate(report)
    render_markdown(report)
    render_html(report)
    return report


@pytest.mark.slow  # 300 hypothesis examples
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_fuzz_one_field_replaced(path, value):
    report = json.loads(GOOD_TEXT)
    target = report
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    _accepts_or_refuses(json.dumps(report).encode())


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, len(GOOD_TEXT)), junk=st.binary(max_size=8), at=st.integers(0, len(GOOD_TEXT)))
def test_fuzz_bytes_cut_and_spliced(cut, junk, at):
    raw = GOOD_TEXT.encode()
    _accepts_or_refuses(raw[:cut])
    _accepts_or_refuses(raw[:at] + junk + raw[at:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(raw):
    _accepts_or_refuses(raw)
