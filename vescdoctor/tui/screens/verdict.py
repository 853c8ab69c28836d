"""Verdict: what is wrong, what to do, and the fix plan for the image files given (consent comes after)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Static


def verdict_text(verdict, findings: list[str], *, repair_below: bool = False,
                 own_words: Callable[[str], str] = str) -> Text:
    """The verdict's explanation, findings and next steps; `repair_below`: the repair panel follows, so a next step
    that says to run `vescdoctor fix` points at it instead; `own_words` puts the board's own command where one says
    to run vescdoctor again."""
    from ..wording import next_step_text

    def say(step: str) -> str:
        return own_words(next_step_text(step) if repair_below else step)

    text = Text()
    text.append(" ".join((verdict.explanation or "").split()) + "\n")
    if findings:
        text.append("\nFindings: ", style="bold")
        text.append(", ".join(findings) + "\n")
    if verdict.next_steps:
        text.append("\nNext steps\n", style="bold")
        for step in verdict.next_steps:
            text.append(f"• {say(' '.join(step.split()))}\n")
    return text


def plans():
    from ...fixes.plans_file import load_plans

    return load_plans()


class VerdictScreen(Screen):
    # Not in the footer: the plan's message offers it when the catalog has the images the repair needs.
    BINDINGS = [Binding("ctrl+g", "get_images", "Get the official images", show=False)]

    def __init__(self) -> None:
        super().__init__(id="verdict")
        self.plan = None
        self.usb = False

    def compose(self) -> ComposeResult:
        app = self.app
        session = app.session
        verdict = session.verdict
        healthy = verdict.code == "healthy"
        self.usb = app.usb_route  # no probe, the firmware answers: the repair goes over USB, as `fix` chooses
        fixable = self.usb or verdict.code in plans().verdicts  # the others are fixed by the rider (cable, power ...)
        yield Header()
        with VerticalScroll(id="verdict-body"):
            yield Static(Text.assemble(("Verdict: ", "bold"), (verdict.code, "bold reverse"), f"  {verdict.title}"),
                         id="verdict-title")
            yield Static(verdict_text(verdict, session.ordered_findings(), repair_below=fixable,
                                      own_words=app.own_words), id="verdict-text")
            if not healthy and not fixable:
                yield Static(app.own_words("Nothing to write to the chip for this one: follow the next steps, then run "
                                           "vescdoctor again."), id="no-fix")
            if verdict.code == "no-probe":  # the cause may be on this computer: what `vescdoctor doctor` finds
                from ..widgets.hostchecks import HostChecks

                yield HostChecks(id="host-checks")
            if fixable:
                with Vertical(id="fix-panel"):
                    yield from (self.usb_fields() if self.usb else self.swd_fields())
        with Horizontal(classes="buttons"):
            if fixable:
                yield Button("Repair over USB..." if self.usb else "Repair...", id="fix-go", variant="warning")
            if verdict.code == "no-probe":  # plugged in now? the same answers, a fresh look
                yield Button("Look again", id="look-again", variant="primary")
            yield Button("Save report", id="save-report")
            yield Button("Quit", id="verdict-quit")
        yield Footer()

    def swd_fields(self) -> ComposeResult:
        """The repair through SWD: both images, the board's hardware, keep the configuration."""
        app = self.app
        session = app.session
        yield Static(id="fix-plan")
        needs_bootloader = "bootloader" in session.verdict.code or any(
            "bootloader" in f for f in session.ordered_findings())
        yield Label("Bootloader image (.bin/.hex/.elf): the board needs one" if needs_bootloader else
                    "Bootloader image (.bin/.hex/.elf, empty: keep the one on the board)")
        yield Input(app.bootloader_path, id="fix-bootloader", placeholder="path to the bootloader")
        yield Label("Firmware image for your hardware")
        yield Input(app.firmware_path, id="fix-firmware", placeholder="path to the firmware")
        yield Label("Board hardware (HW name, e.g. 410 for VESC 4.10-4.12)")
        known, hint = app.known_board_hw()
        yield Input(known or "", id="fix-hw",
                    placeholder=f"type it: {hint}, is that your board?" if hint else "e.g. 410, 60, 75_300")
        yield Checkbox("Keep the motor configuration (sectors 1-2)", True, id="fix-keep")

    def usb_fields(self) -> ComposeResult:
        """The repair over USB (docs/usb-repair.md): a bootloader always (nothing over USB shows whether one is
        there), a firmware for an update; the hardware is the running firmware's, the configuration saved first."""
        app = self.app
        yield Static(id="fix-plan")
        yield Label("Bootloader image (.bin/.hex/.elf): installed first, every time")
        yield Input(app.bootloader_path, id="fix-bootloader", placeholder="path to the bootloader")
        yield Label("Firmware image, for an update (empty: the bootloader only)")
        yield Input(app.firmware_path, id="fix-firmware", placeholder="path to the firmware, or empty")

    def on_mount(self) -> None:
        for panel in self.query("#fix-panel"):
            panel.border_title = "The repair, over USB (no debug probe; the firmware answers)" if self.usb else \
                "The repair"
        if self.query("#fix-panel"):
            self.update_plan()
        go = self.query("#fix-go")
        again = self.query("#look-again")
        (go.first() if go and not go.first().disabled else again.first() if again else
         self.query_one("#save-report")).focus()

    @on(Input.Submitted)
    @on(Checkbox.Changed)
    def inputs_changed(self) -> None:
        self.update_plan(say_errors=True)

    @on(Input.Changed)
    def input_edited(self, event: Input.Changed) -> None:
        # recompute when the field names a file that exists (cheap), or a HW name it knows, not on every half-typed
        # path or name
        from ..app import image_path

        value = event.value.strip()
        if event.input.id == "fix-hw":
            if not value or board_hw(value)[1] is None:
                self.update_plan()
        elif not value or Path(image_path(value)).is_file():
            self.update_plan()

    def update_plan(self, *, say_errors: bool = False) -> None:
        bl = self.query_one("#fix-bootloader", Input).value
        fw = self.query_one("#fix-firmware", Input).value
        if self.usb:
            self.plan, error = self.app.make_usb_plan(bl, fw)
            self.show_plan(error)
            return
        keep = self.query_one("#fix-keep", Checkbox).value
        hw, hw_error = board_hw(self.query_one("#fix-hw", Input).value)
        if hw_error is not None:
            self.plan, error = None, f"Board hardware: {hw_error}"
            if say_errors:
                self.notify(error, title="Board hardware", severity="error", timeout=15)
        else:
            self.plan, error = self.app.make_plan(bl, fw, keep, hw)
        self.show_plan(error)

    def show_plan(self, error: str | None) -> None:
        from ..wording import notice_text

        text = Text()
        if self.plan is None:
            text.append("No repair possible yet: ", style="bold")
            text.append(error or "no plan")
        else:
            for line in self.plan.describe(notice_text):
                text.append(f"{line}\n")
        self.query_one("#fix-plan", Static).update(text)
        go = self.query_one("#fix-go", Button)
        go.disabled = self.plan is None

    def replan(self, erase_all: bool) -> tuple[Any, str | None]:
        """The plan for the fields as they are, with or without the full chip erase (the confirmation asks)."""
        hw, hw_error = board_hw(self.query_one("#fix-hw", Input).value)
        if hw_error is not None:
            return None, f"Board hardware: {hw_error}"
        return self.app.make_plan(self.query_one("#fix-bootloader", Input).value,
                                  self.query_one("#fix-firmware", Input).value,
                                  self.query_one("#fix-keep", Checkbox).value, hw, erase_all=erase_all)

    def action_get_images(self) -> None:
        """Ctrl+G: download the catalog's images the plan asked for (the key is the consent the message asked for),
        checked against their sha256, then put their paths in the image fields."""
        offer = list(getattr(self.app, "catalog_offer", None) or ())
        if not offer:
            self.notify("No official image to get for this repair (or the board hardware is not known yet).",
                        title="Official images")
            return
        self.notify("Downloading " + " and ".join(r.describe() for _, r in offer) + " ...", title="Official images")
        self.run_worker(lambda: self._fetch(offer), thread=True, exclusive=True, group="catalog")

    def _fetch(self, offer) -> None:
        from ...catalog.resolve import fetch_offered
        from ...errors import VescDoctorError

        try:
            taken = fetch_offered(offer)
        except VescDoctorError as exc:
            self.app.call_from_thread(self.notify, " ".join(str(exc).split()), title="Official images",
                                      severity="error", timeout=20)
            return
        self.app.call_from_thread(self._fill, taken)

    def _fill(self, taken) -> None:
        for image in taken:
            self.query_one(f"#fix-{image.what}", Input).value = str(image.fetched.path)
        self.notify("Checked (sha256): " + "; ".join(i.fetched.release.describe() for i in taken),
                    title="Official images")
        self.update_plan()
        go = self.query_one("#fix-go", Button)
        if not go.disabled:
            go.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "fix-go":
            self.update_plan(say_errors=True)
            if self.plan is not None:
                self.app.ask_consent(self.plan, self.replan)
        elif event.button.id == "save-report":  # asks where: Enter here never writes a file by itself
            from .save import SaveReportScreen

            def chosen(target: Path | None) -> None:
                path = self.app.save_report(target) if target is not None else None
                if path is not None:
                    self.notify(f"Report saved to {path}", title="Report")

            self.app.push_screen(SaveReportScreen(self.app.report_path), chosen)
        elif event.button.id == "look-again":
            self.app.begin_triage(dict(self.app.session.answers))
        elif event.button.id == "verdict-quit":
            self.app.finish()


def board_hw(text: str) -> tuple[str | None, str | None]:
    """The Board hardware field: (normalised HW name or None for empty/unsure, None) or (None, the one-line error)."""
    from ...knowledge.images_table import hw_answer

    if not text.strip():
        return None, None
    try:
        hw = hw_answer(text)
    except ValueError:
        return None, (f"{text.strip()!r} is not a VESC HW name vescdoctor knows (e.g. 410 for VESC 4.10-4.12, 60, "
                      "75_300); `vescdoctor inspect FW.bin` shows the name a firmware is built for; or leave it empty")
    return (None if hw == "unsure" else hw), None
