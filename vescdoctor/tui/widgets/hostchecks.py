"""The checks of `vescdoctor doctor` that did not pass, in words: shown with the no-probe verdict, where the cause is
often on this computer (a driver, udev rules, a port another program holds) rather than on the board."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Static

TITLE = "This computer, checked as `vescdoctor doctor` does"


def checks_text(checks: list[Any] | None, error: str | None = None) -> Text:
    """The list in words: each check that did not pass, what was seen and its fix; None: still checking."""
    text = Text()
    text.append(TITLE + "\n", style="bold")
    if error is not None:
        text.append(f"could not check: {error}\n")
    elif checks is None:
        text.append("checking ...\n")
    elif not checks:
        text.append("no problem found.\n")
    for check in checks or ():
        text.append("• " + ("problem" if check.status == "fail" else "note") + f": {check.title}: ", style="bold")
        text.append(f"{check.detail}\n")
        if check.fix:
            text.append(f"  fix: {check.fix}\n")
    return text


class HostChecks(Static):
    """Fills itself in a thread (the checks list USB devices and open ports): 'checking ...' until then."""

    checks: list[Any] | None = None

    def on_mount(self) -> None:
        self.update(checks_text(None))
        self.run_checks()

    @work(thread=True, exclusive=True, group="hostcheck")
    def run_checks(self) -> None:
        from ...hostcheck import problems

        env = self.app.wait_environment()
        if env is None:
            self.app.call_from_thread(self.update, checks_text(None, "the board could not be opened"))
            return
        try:
            checks = problems(env, self.app.effective_backup_dir())
        except Exception as exc:  # a check that breaks is said, not raised: the verdict stays readable
            self.app.call_from_thread(self.update, checks_text(None, str(exc) or type(exc).__name__))
            return
        self.app.call_from_thread(self.show, checks)

    def show(self, checks: list[Any]) -> None:
        self.checks = checks
        self.update(checks_text(checks))
