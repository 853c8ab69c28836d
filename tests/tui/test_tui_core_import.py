"""The core never imports Textual (DESIGN.md): a diagnosis, a report and the CLI's non-TUI commands work without it."""
import subprocess
import sys


def test_core_does_not_import_textual():
    code = ("import sys\n"
            "import vescdoctor.cli, vescdoctor.diagnosis, vescdoctor.environment, vescdoctor.report.model\n"
            "import vescdoctor.graph.session, vescdoctor.commands.diagnose, vescdoctor.commands.tui\n"
            "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)
