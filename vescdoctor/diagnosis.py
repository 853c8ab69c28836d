"""Run a diagnosis: the triage session driven against an environment (real or bench), for the CLI and the TUI.

Nothing here prints: transcript lines go to an `emit` callback, questions to an `ask` callback. On a simulated
board, questions the caller cannot answer are answered as the board's owner would (spec/board.md): `led` from what
the boot model shows, `hw` from the board's `hw`, anything else from the board's `answers`, else `unsure`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import registries  # noqa: F401 - importing it registers the built-in probes
from .environment import Environment
from .errors import InputError
from .graph.model import Graph, Node
from .graph.session import SessionResult, TriageSession, run_session
from .knowledge.verdicts import QUESTIONS
from .probes.base import REGISTRY, ProbeContext, ProbeResult, run_probe


def parse_answers(items: list[str], graph: Graph | None = None) -> dict[str, str]:
    """`--answer ID=CODE` values, checked against the spec's questions (and the graph's own)."""
    known: dict[str, tuple[str, ...] | None] = dict(QUESTIONS)
    if graph is not None:
        for node in graph.nodes.values():
            if node.kind == "question" and node.question and node.question not in known:
                known[node.question] = None if node.free_answer else tuple(node.answers)
    out: dict[str, str] = {}
    for item in items:
        qid, sep, code = item.partition("=")
        qid, code = qid.strip(), code.strip()
        if not sep or not qid or not code:
            raise InputError(f"--answer {item!r}: expected ID=CODE, e.g. led=blue-only")
        if qid not in known:
            raise InputError(f"--answer {item!r}: unknown question '{qid}' (known: {', '.join(sorted(known))})")
        codes = known[qid]
        if qid == "hw":
            from .knowledge.images_table import hw_answer

            try:
                code = hw_answer(code)
            except ValueError as exc:
                raise InputError(f"--answer {item!r}: {exc}") from None
        if codes is not None and code not in codes:
            raise InputError(f"--answer {item!r}: '{code}' is not an answer to '{qid}' (expected one of: "
                             f"{', '.join(codes)})")
        out[qid] = code
    return out


def owner_answer(env: Environment, node: Node) -> str:
    """What the board's owner answers to a question nobody answered on the command line (the environment knows it
    on the bench), else the question's fallback."""
    return env.owner_answer(node.question or "") or fallback_answer(node)


def fallback_answer(node: Node) -> str:
    """`unsure` where the question takes it, else its catch-all answer."""
    if node.free_answer or "unsure" in node.answers:
        return "unsure"
    return "other" if "other" in node.answers else next(iter(node.answers))


@dataclass
class Diagnosis:
    result: SessionResult
    env_summary: dict[str, Any]

    @property
    def verdict(self) -> str:
        return self.result.verdict.code if self.result.verdict else "unknown"


def env_summary(env: Environment) -> dict[str, Any]:
    summary: dict[str, Any] = {"simulated": env.is_sim}
    if env.is_sim:
        summary["sim_board"] = str(env.board_dir)
    if env.pyocd_uid and not env.is_sim:
        summary["probe"] = env.pyocd_uid
    return summary


def run_diagnosis(env: Environment, graph: Graph, *, answers: Mapping[str, str] | None = None,
                  ask: Callable[[Node], str] | None = None, emit: Callable[[str], None] = lambda line: None,
                  session: TriageSession | None = None) -> Diagnosis:
    """Walk `graph` to a verdict. `ask` answers questions (None: the board's owner on a bench, else fallback)."""
    def answer(node: Node) -> str:
        code = ask(node) if ask else owner_answer(env, node)
        emit(f"Q {node.question}: {code}")
        return code

    session = session or TriageSession(graph, answers)
    try:
        run_session(session, run_probe=lambda node: probe_once(node, env, session, emit), ask=answer)
    finally:
        env.swd.close()
    return Diagnosis(session.result(), env_summary(env))


def probe_once(node: Node, env: Environment, session: TriageSession, emit: Callable[[str], None]) -> ProbeResult:
    name = node.action or ""  # the loader gives every probe node its action
    spec = REGISTRY[name]
    emit(f"{spec.title} ...")
    ctx = ProbeContext(env=env, facts=dict(session.facts), answers=dict(session.answers), emit=emit)
    try:
        result = run_probe(name, ctx)
    except InputError:
        raise  # the user must act first (e.g. name one of several debug probes): not a board fact
    except Exception as exc:  # a probe that crashed still leaves a walkable session: its facts are unknown
        result = ProbeResult(dict.fromkeys(spec.provides), [f"{spec.title}: failed ({type(exc).__name__}: {exc})"],
                             ok=False, error=f"{type(exc).__name__}: {exc}")
    for line in result.transcript:
        emit(line)
    return result
