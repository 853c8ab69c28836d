"""Issue 12, item 9: a user name next to `_` or a digit is redacted (tests/cli/test_safety.py has the other items)."""
from __future__ import annotations

import json

import pytest


# -- 9. a user name next to `_` or a digit is redacted ---------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_a_user_name_beside_underscore_or_digit_is_redacted(tmp_path, fmt):
    from vescdoctor.report.model import write_report
    from vescdoctor.report.redact import Identity
    from vescdoctor.report.render_html import render_html
    from vescdoctor.report.render_md import render_markdown

    from report_support import fix_report

    alice = Identity(homes=("/home/alice",), users=("alice",), hosts=("alice-pc",))
    report = fix_report(redact=False)
    report["facts"]["firmware_file"] = "~/fw-alice/alice_fw_410.bin /srv/alice2/x bob_alice"
    path = write_report(report, tmp_path / "r.json", identity=alice)
    loaded = json.loads(path.read_text())
    text = {"json": path.read_text(), "markdown": render_markdown(loaded), "html": render_html(loaded)}[fmt]
    assert "alice" not in text.lower().replace("malice", ""), [line for line in text.splitlines() if "alice" in line]
