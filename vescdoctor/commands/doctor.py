"""`vescdoctor doctor [--json] [--udev-rules]`: this computer, checked for a repair (checks: vescdoctor/hostcheck/).

Exit 0 when no check fails (warnings allowed), 1 otherwise. --json: one document on stdout. --udev-rules: only the
Linux rules file, on stdout, with how to install it in its comments (exit 0, on any OS: it is text).
"""
from __future__ import annotations

import json
import sys

from .common import quiet_pyocd

MARK = {"ok": "[ok]  ", "warn": "[warn]", "fail": "[FAIL]"}  # ASCII: Windows consoles may not have the code page


def run(args) -> int:
    if args.udev_rules:
        from ..hostcheck.udev import rules_text

        sys.stdout.write(rules_text())
        return 0
    from ..hostcheck import gather, run_checks
    from ..probes import host

    quiet_pyocd(args)  # its udev hint is said by our own line, with the command that fixes it
    checks = run_checks(gather())
    failed = sum(c.status == "fail" for c in checks)
    if args.json:
        doc = {"format": "vescdoctor-doctor", "version": 1, "os": host.os_name(), "ok": failed == 0,
               "checks": [c.as_json() for c in checks]}
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(checks, host.os_name()))
    return 1 if failed else 0


def render(checks, os_name: str) -> str:
    lines = [f"vescdoctor doctor: this computer ({os_name}) checked for a repair", ""]
    for c in checks:
        lines.append(f"{MARK[c.status]} {c.title}: {c.detail}")
        if c.fix and c.status != "ok":
            lines.append(f"       fix: {c.fix}")
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    lines += ["", "No problem found." if not failed and not warned else
              f"{failed} problem(s), {warned} warning(s)." + (" Fix the problems above, then run vescdoctor doctor "
                                                              "again." if failed else "")]
    return "\n".join(lines) + "\n"
