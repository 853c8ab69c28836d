"""What a report shows, once, for every format: the sections of `vescdoctor report show` as a small document model.

`document(report)` turns a loaded report into a title and a list of blocks (headings, paragraphs, tables, lists,
preformatted text, transcripts); render_md.py and render_html.py each emit that list in their format, escaping as
their format needs. A section is added or changed here, in one place, and both formats follow.

Inline content is a str (template text written in this module: never report data), or one of the marked pieces
below, or a list of them. Every string that comes from the report goes in a Text, Rich or Code, so each emitter
escapes it for its place (a report is someone else's file).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import summary, text, words

# -- inline pieces ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Report text, escaped (one line); limit: clipped to that many characters."""
    value: object
    limit: int | None = None


@dataclass(frozen=True)
class Rich:
    """Report text whose `code spans` stay code spans (one line)."""
    value: object


@dataclass(frozen=True)
class Code:
    """Report text as code. limit: the longest shown; None: the format's own (Markdown 200, HTML 300)."""
    value: object
    limit: int | None = None


@dataclass(frozen=True)
class Strong:
    content: Inline


@dataclass(frozen=True)
class Em:
    content: Inline


@dataclass(frozen=True)
class Mark:
    """A word in a tone: "ok" or "bad" (an action's outcome); each format shows the tone its way."""
    word: str
    tone: str | None = None


Inline = str | Text | Rich | Code | Strong | Em | Mark | list["Inline"]


def joined(pieces: list[Inline], separator: str) -> list[Inline]:
    out: list[Inline] = []
    for i, piece in enumerate(pieces):
        out += [separator, piece] if i else [piece]
    return out


# -- blocks ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    content: Inline


@dataclass(frozen=True)
class Para:
    content: Inline
    style: str | None = None  # "meta": the header's and the footer's small print


@dataclass(frozen=True)
class Prose:
    """Report text of several paragraphs (blank-line separated), `code spans` kept."""
    value: object


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...] | None  # None: no header row (Markdown still needs one: empty cells)
    rows: list[tuple[Inline, ...]]


@dataclass(frozen=True)
class OrderedList:
    items: list[Inline]


@dataclass(frozen=True)
class BulletList:
    items: list[Inline]


@dataclass(frozen=True)
class Pre:
    lines: list[str]  # report text, shown as it is (escaped, never interpreted)


@dataclass(frozen=True)
class Transcript:
    """A probe's transcript, folded: its name and state in the summary line."""
    name: object
    state: object
    lines: list[str]


@dataclass(frozen=True)
class Boxed:
    """Blocks set apart (the verdict); Markdown shows them as they are."""
    blocks: list[Block]
    style: str


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Group:
    """Blocks that go together (one alternative of an Alt)."""
    blocks: list[Block]


@dataclass(frozen=True)
class Folded:
    """Blocks a reader opens when they want them (HTML <details>)."""
    summary: str
    blocks: list[Block]


@dataclass(frozen=True)
class Alt:
    """One content, shaped per format where one shape does not fit both (a forum post is narrow)."""
    markdown: Block | None
    html: Block | None  # None: this format does not show it


Block = (Heading | Para | Prose | Table | OrderedList | BulletList | Pre | Transcript | Boxed | Rule | Group | Folded
         | Alt)


@dataclass
class Document:
    title: str  # report text (escaped by the emitter)
    blocks: list[Block] = field(default_factory=list)


# -- the sections, in the order they are shown -----------------------------------------------------------------------


def _repaired(report: dict) -> bool:
    return summary.state(report) in ("repaired", "fix-incomplete")


def _header(report: dict) -> list[Block]:
    meta = joined([[Text(label), ": ", Text(value)] for label, value in text.summary(report)], " · ")
    return [Heading(1, ["vescdoctor report: ", Text(summary.title(report))]), *_lead(report), Para(meta, style="meta")]


def _lead(report: dict) -> list[Block]:
    """Where the board is now, what was done and what is left: the first lines under the title."""
    out: list[Block] = [BulletList([Text(line) for line in summary.lead_lines(report)])]
    # a diagnosis alone: its next steps follow at once under the verdict, not twice
    done, left = summary.done_lines(report), summary.left_lines(report) if _repaired(report) else []
    if done:
        out += [Para(Strong("What was done:")), OrderedList([Text(line) for line in done])]
    if left:
        out += [Para(Strong("What is left:")), BulletList([Rich(line) for line in left])]
    return out


def _verdict(report: dict) -> list[Block]:
    verdict = report["verdict"]
    out: list[Block] = [Heading(2, "First diagnosis" if _repaired(report) else "Verdict")]
    if verdict is None:
        return out + [Para("The run stopped before it reached a verdict.")]
    boxed: list[Block] = [Para([Strong(Code(verdict["code"])), ": ", Text(verdict["title"])])]
    if verdict["explanation"]:
        boxed.append(Prose(verdict["explanation"]))
    out.append(Boxed(boxed, style="verdict"))
    if verdict.get("next_steps") and summary.state(report) != "repaired":  # done: "What is left" says what is
        out += [Heading(3, "Next steps"), OrderedList([Rich(step) for step in verdict["next_steps"]])]
    return out


def _findings(codes: list) -> list[Block]:
    return [Para([Strong("Findings:"), " ", joined([Code(f) for f in codes], ", ")])] if codes else []


def _board(report: dict) -> list[Block]:
    target = report["target"]
    simulated: Inline = ["yes, board ", Code(target["sim_board"])] if target["simulated"] else "no"
    rows: list[tuple[Inline, ...]] = [("simulated", simulated)]
    rows += [(Text(key), Code(value)) for key, value in text.target_rows(target)]
    return [Heading(2, "Board"), Table(None, rows)]


def _answers(report: dict) -> list[Block]:
    if not report["answers"]:
        return []
    return [Heading(2, "Answers"),
            Table(("question", "answer"), [(Code(k), Code(v)) for k, v in report["answers"].items()])]


def _path(report: dict) -> list[Block]:
    steps: list[Inline] = [[Code(step["node"]), " (", Text(step["kind"]), ")",
                            [" → ", Code(step["outcome"])] if step.get("outcome") is not None else ""]
                           for step in report["path"]]
    shown: Block = OrderedList(steps) if steps else Para("(no steps recorded)")
    return [Heading(2, "Path through the decision graph"), shown]


def _evidence(report: dict) -> list[Block]:
    evidence = words.evidence(report["facts"])
    if not evidence:
        return []
    rows: list[tuple[Inline, ...]] = [(Text(g), Text(label), Text(said, 300)) for g, label, said in evidence]
    return [Heading(2, "Evidence"), Table(("from", "fact", "what it says"), rows)]


def _flash_map(report: dict) -> list[Block]:
    after = report.get("after")
    after_map = (after or {}).get("flash_map") if isinstance(after, dict) else None
    out: list[Block] = [Heading(2, "Flash map" + (" before the repair" if after_map else "")),
                        Pre(text.flash_map_lines(report["flash_map"]))]
    if after_map:
        out += [Heading(2, "Flash map after the repair"), Pre(text.flash_map_lines(after_map))]
    return out


def _plan(report: dict) -> list[Block]:
    if not report["plan"]:
        return []
    steps: list[Inline] = [[Code(step["step"]), [": ", Text(step["title"])] if step.get("title") else "",
                            " (erases or writes flash)" if step.get("destructive") else ""]
                           for step in report["plan"]]
    return [Heading(2, "Fix plan"), OrderedList(steps)]


def _images(report: dict) -> list[Block]:
    if not report.get("images"):
        return []
    rows: list[tuple[Inline, ...]] = [
        (Text(i["what"]), Code(i["file"], 300), Code(i.get("hw") or "-"),
         Code(i.get("version") or i.get("name") or "-"), Code(i["sha256"])) for i in report["images"]]
    out: list[Block] = [Heading(2, "Images"), Table(("image", "file", "HW", "version", "sha256"), rows)]
    releases: list[Inline] = [[Text(i["what"]), ": ", Text(i["release"]),
                               [", from ", Code(i["source"], 300)] if i.get("source") else ""]
                              for i in report["images"] if i.get("release")]
    if releases:  # where the catalog's images came from; the page's table says enough
        out.append(Alt(markdown=BulletList(releases), html=None))
    return out


_OUTCOMES = {"ok": Mark("ok", "ok"), "stopped": Mark("stopped"), "failed": Mark("failed", "bad")}


def _action_row(action: dict) -> tuple[Inline, ...]:
    secs = f" ({action['seconds']:.1f} s)" if action.get("seconds") is not None else ""
    detail: list[Inline] = [Text(x) for x in (action.get("detail"), action.get("error")) if x]
    if action.get("file"):
        detail.append(Code(action["file"]))
    return Code(action["step"]), [_OUTCOMES[text.action_state(action)], secs], joined(detail, " ")


def _actions(report: dict) -> list[Block]:
    if not report["actions"]:
        return []
    return [Heading(2, "Actions"),
            Table(("step", "outcome", "detail"), [_action_row(a) for a in report["actions"]])]


def _backups(report: dict) -> list[Block]:
    backups = report["backups"]
    if not backups:
        return []
    bullets = BulletList([[Code(b["file"], 300), " sha256 ", Code(b["sha256"])] for b in backups])
    table = Table(("file", "sha256"), [(Code(b["file"]), Code(b["sha256"])) for b in backups])
    return [Heading(2, "Backups"), Alt(markdown=bullets, html=table)]


def _after(report: dict) -> list[Block]:
    after = text.after_rows(report)
    if after is None:
        return []
    code, title, findings = after
    return [Heading(2, "After the repair"), Para("A fresh look at the board once the repair ran:"),
            Para([Strong(Code(code)), [": ", Text(title)] if title else ""]), *_findings(findings)]


def _probes(report: dict) -> list[Block]:
    if not report["probes"]:
        return []
    out: list[Block] = [Heading(2, "Probe transcripts")]
    for probe in report["probes"]:
        state = "ok" if probe["ok"] else "failed: " + (probe.get("error") or "")
        out.append(Transcript(probe["name"], state, probe["transcript"] or ["(no transcript)"]))
    return out


def _raw_facts(report: dict) -> list[Block]:
    """The appendix: every fact as the probes recorded it (the JSON has them too)."""
    known, unknown = text.fact_rows(report["facts"])
    if not known and not unknown:
        return []
    blocks: list[Block] = []
    if known:
        blocks.append(Table(("fact", "value"), [(Code(k), Code(v)) for k, v in known]))
    if unknown:
        blocks.append(Para(["Not established: ", joined([Code(k) for k in unknown], ", ")]))
    intro = Para("As the probes recorded them (for helpers; the Evidence section says them in words).")
    folded = Folded(f"the facts as recorded ({len(known)} established, {len(unknown)} not)", blocks)
    return [Heading(2, "Raw facts"), Alt(markdown=Group([intro, *blocks]), html=folded)]


def _footer(report: dict) -> list[Block]:
    return [Rule(), Para(Em(Text(text.redaction_line(report))), style="meta")]


SECTIONS: list[Callable[[dict], list[Block]]] = [
    _header, _verdict, lambda report: _findings(report["findings"]), _board, _answers, _path, _evidence, _flash_map,
    _plan, _images, _actions, _backups, _after, _probes, _raw_facts, _footer,
]


def document(report: dict) -> Document:
    """The report as the blocks every format shows, in order."""
    return Document(summary.title(report), [block for section in SECTIONS for block in section(report)])
