"""Triage: the session walked step by step. The current question or probe, a live transcript of what each probe saw,
the evidence so far, the flash map. Probes run in thread workers; the session is only touched on the UI thread."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, LoadingIndicator, OptionList, Static

from ...graph.session import Ask, RunProbe, TriageSession, next_need
from ..messages import ProbeFinished, TranscriptLine
from ..widgets.evidence import Evidence
from ..widgets.flashmap import FlashMap
from ..widgets.wraplog import WrappingLog
from .start import QuestionList

SWD_PROBE = "swd.connect"


class TriageScreen(Screen):
    BINDINGS = [Binding("v", "verdict", "Verdict", show=False)]

    def __init__(self, session: TriageSession, opening: dict[str, str]) -> None:
        super().__init__(id="triage")
        self.session = session
        self.opening = dict(opening)  # answers from the start screen, fed when the session asks them
        self.wiring_shown = False
        self.running: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="step"):
            yield Static(id="step-title")
            yield Static(id="step-text")
            yield LoadingIndicator(id="step-busy")
            yield Input(id="step-input", placeholder="type the answer, then Enter")
            yield Button("Show the verdict", id="step-verdict", variant="primary")
        yield FlashMap(id="flash-map")
        with Horizontal(id="triage-bottom"):
            yield WrappingLog(id="transcript")
            yield Evidence(id="evidence")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#transcript", WrappingLog).border_title = "What the probes saw"
        for wid in ("#step-busy", "#step-input", "#step-verdict"):
            self.query_one(wid).display = False
        self.refresh_evidence()
        self.advance()

    # -- the walk ---------------------------------------------------------------------------------------------
    def log_line(self, line: str) -> None:
        self.query_one("#transcript", WrappingLog).write_line(line)

    def refresh_evidence(self) -> None:
        s = self.session
        self.query_one(Evidence).show(s.answers, s.ordered_findings(), s.facts)
        self.query_one(FlashMap).show_sectors(
            s.facts.get("flash.sectors"), unreadable=s.facts.get("swd.rdp_level") in (1, 2))

    def opening_answer(self, node) -> str | None:
        """A question the start screen answered already: taken, and logged as the CLI logs its answers."""
        code = self.opening.pop(node.question, None)
        if code is not None:
            self.log_line(f"Q {node.question}: {code}")
        return code

    def advance(self) -> None:
        """Step the session until it needs the user or a probe (fixes run from the verdict screen, with consent)."""
        need = next_need(self.session, known=self.opening_answer)
        node = need.node
        if isinstance(need, Ask):
            self.show_question(node)
        elif isinstance(need, RunProbe):
            if node.action == SWD_PROBE and not self.wiring_shown and self.app.show_wiring:
                self.wiring_shown = True
                self.show_step(node.title or node.id, "Waiting for the wiring ...")
                from .wiring import WiringScreen

                self.app.push_screen(WiringScreen(), lambda _choice, n=node: self.start_probe(n))
                return
            self.start_probe(node)
        else:
            self.finish()

    def show_step(self, title: str, text: str) -> None:
        self.query_one("#step-title", Static).update(title)
        self.query_one("#step-text", Static).update(text)

    def show_question(self, node) -> None:
        self.query_one("#step-busy").display = False
        text = node.text
        hint = self.session.facts.get("flash.buffer_hw") if node.question == "hw" else None
        if hint:  # what an update left in the flash was built for: shown, and never taken without the rider
            text += (f"\n\nThe update left in the flash was built for HW {hint}. If that is your board, Enter; "
                     "if not, type its name.")
        self.show_step(node.title or node.question, text)
        if node.free_answer:
            box = self.query_one("#step-input", Input)
            box.value = self.app.suggest_answer(node) or ""
            box.display = True
            box.focus()
        else:
            ql = QuestionList(node, self.app.suggest_answer(node))
            self.query_one("#step").mount(ql, before="#step-busy")
            ql.focus()

    @on(Input.Submitted, "#step-input")
    def free_answer(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.notify("Type an answer (or: unsure).", severity="warning")
            return
        if self.session.current.question == "hw":
            from ...knowledge.images_table import hw_answer

            try:
                value = hw_answer(value)
            except ValueError as exc:
                self.notify(str(exc), severity="warning")
                return
        event.input.display = False
        self.take_answer(value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if isinstance(event.option_list, QuestionList):
            event.stop()
            code = event.option.id
            event.option_list.remove()
            self.take_answer(code)

    def take_answer(self, code: str) -> None:
        node = self.session.current
        self.session.answer(code)
        self.log_line(f"Q {node.question}: {code}")
        self.refresh_evidence()
        self.advance()

    def start_probe(self, node) -> None:
        self.running = node.id
        self.show_step(node.title or node.id, node.text)
        self.query_one("#step-busy").display = True
        self.run_probe(node)

    @work(thread=True, exclusive=True, group="probe")
    def run_probe(self, node) -> None:
        app = self.app
        env = app.wait_environment()
        if env is None:
            return  # the app shows why
        from ...diagnosis import probe_once

        result = probe_once(node, env, self.session, lambda line: self.post_message(TranscriptLine(line)))
        self.post_message(ProbeFinished(node.id, result))

    def on_transcript_line(self, message: TranscriptLine) -> None:
        self.log_line(message.line)

    def on_probe_finished(self, message: ProbeFinished) -> None:
        self.running = None
        self.query_one("#step-busy").display = False
        self.session.probe_done(message.result)
        self.refresh_evidence()
        self.advance()

    def finish(self) -> None:
        verdict = self.session.verdict
        self.refresh_evidence()
        self.show_step(f"Verdict: {verdict.code}" if verdict else "Verdict", verdict.title if verdict else "")
        self.log_line(f"Verdict: {verdict.code if verdict else '?'}")
        button = self.query_one("#step-verdict", Button)
        button.display = True
        button.focus()
        self.app.triage_done()

    @on(Button.Pressed, "#step-verdict")
    def action_verdict(self) -> None:
        if self.session.finished:
            self.app.show_verdict()

    def env_failed(self, reason: str) -> None:
        self.query_one("#step-busy").display = False
        self.show_step("Cannot reach the board", reason)
        self.log_line(f"error: {reason}")
