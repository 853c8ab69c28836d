"""`vescdoctor report show FILE [--format markdown|html | --summary] [-o OUT]`: a report rendered for people.

--summary: a short paste-ready text (verdict now, board, what was done, what is left), under 40 lines.

The file is loaded with the safe loader first, so a bad report fails before anything is written.
"""
from __future__ import annotations

import sys

from ..report.files import write_text_atomic
from ..report.load import load_report


def run(args) -> int:
    report = load_report(args.file)
    if args.summary:
        from ..report.summary import summary_text
        out = summary_text(report)
    elif args.format == "html":
        from ..report.render_html import render_html
        out = render_html(report)
    else:
        from ..report.render_md import render_markdown
        out = render_markdown(report)
    if args.output:
        write_text_atomic(args.output, out, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(out)
    return 0

