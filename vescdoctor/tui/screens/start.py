"""Start: what happened. The graph's opening questions (symptom, LEDs), every answer with what it tells."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from ...graph.model import Graph, Node


def opening_questions(graph: Graph) -> list[Node]:
    """The start question and the questions that follow it unconditionally (symptom, then led)."""
    out: list[Node] = []
    node = graph.nodes.get(graph.start)
    while node is not None and node.kind == "question" and not node.free_answer and node not in out:
        out.append(node)
        if len(node.edges) != 1 or node.edges[0].when is not None:
            break
        node = graph.nodes.get(node.edges[0].to)
    return out


def answer_prompt(code: str, tells: str) -> Text:
    text = Text()
    text.append(code, style="bold")
    text.append(f"  {tells}")
    return text


class QuestionList(OptionList):
    """One question: an option per answer code, the highlighted one is the default."""

    def __init__(self, node: Node, default: str | None = None) -> None:
        super().__init__(*[Option(answer_prompt(code, tells), id=code) for code, tells in node.answers.items()],
                         id=f"q-{node.question}", classes="question")
        self.node = node
        self.border_title = node.text
        self._default = default

    def on_mount(self) -> None:
        codes = list(self.node.answers)
        self.highlighted = codes.index(self._default) if self._default in codes else 0

    @property
    def chosen(self) -> str:
        option = self.highlighted_option
        return option.id if option is not None else next(iter(self.node.answers))


class StartScreen(Screen):
    BINDINGS = [Binding("ctrl+s", "start", "Start the diagnosis")]

    def __init__(self, questions: list[Node], target: str, defaults: dict[str, str] | None = None) -> None:
        super().__init__(id="start")
        self.questions = questions
        self.target = target
        self.defaults = defaults or {}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="start-body"):
            yield Static(f"What happened to the board? Pick the answers closest to what you see; "
                         f"vescdoctor then measures the rest.\nTarget: {self.target}", id="start-intro")
            for node in self.questions:
                yield QuestionList(node, self.defaults.get(node.question))
            with Horizontal(classes="buttons"):
                yield Button("Start the diagnosis", id="start-go", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        lists = list(self.query(QuestionList))
        if lists:
            lists[0].focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on an answer: it is taken, the next question (or the start button) gets the focus."""
        event.stop()
        lists = list(self.query(QuestionList))
        index = lists.index(event.option_list) if event.option_list in lists else -1
        if 0 <= index < len(lists) - 1:
            lists[index + 1].focus()
        else:
            self.query_one("#start-go", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start-go":
            event.stop()
            self.action_start()

    def action_start(self) -> None:
        answers = {q.node.question: q.chosen for q in self.query(QuestionList)}
        self.app.begin_triage(answers)
