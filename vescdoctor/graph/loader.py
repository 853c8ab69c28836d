"""Load the decision graph from YAML (a file, or every *.yaml in a directory) into typed nodes.

Any problem (YAML syntax, unknown key, wrong type, unknown node kind, bad condition) raises InputError as
`FILE:LINE: node 'ID': what is wrong`. The format is documented in docs/rules.md.
"""
from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..safeio import read_text_bounded
from ..yamlfile import MAX_YAML_BYTES, Located, load_text
from .conditions import ConditionError, parse
from .model import NODE_KINDS, Edge, FindingRule, Graph, Node, Where

_COMMON_KEYS = {"kind", "title", "text", "next", "findings"}
_KIND_KEYS = {
    "question": {"question", "answers", "free_answer"},
    "probe": {"probe"},
    "decision": set(),
    "fix": {"fix", "destructive"},
    "verdict": {"verdict", "next_steps"},
}
_HEADER_KEYS = {"graph", "version", "start", "nodes"}


NOT_GRAPH_FILES = frozenset({"plans.yaml"})


def builtin_rules_path() -> Path:
    """rules/ inside the installed wheel, or at the top of a source checkout."""
    packaged = resources.files("vescdoctor") / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules"


def _line(mapping: Any, key: Any = None) -> int:
    if isinstance(mapping, Located):
        return mapping.key_lines.get(key, mapping.line) if key is not None else mapping.line
    return 0


class _FileLoader:
    def __init__(self, name: str):
        self.name = name

    def err(self, line: int, node_id: str | None, message: str) -> InputError:
        where = f"{self.name}:{line}" if line else self.name
        return InputError(f"node '{node_id}': {message}" if node_id else message, where)

    def where(self, mapping: Any, key: Any = None) -> Where:
        return Where(self.name, _line(mapping, key))

    def text(self, raw: Any, node_id: str, key: str, line: int, *, required: bool = False) -> str:
        if raw is None and not required:
            return ""
        if not isinstance(raw, str) or (required and not raw.strip()):
            raise self.err(line, node_id, f"'{key}' must be a non-empty text" if required
                           else f"'{key}' must be text, got {type(raw).__name__}")
        return raw.strip()

    def condition(self, raw: Any, node_id: str, line: int):
        if not isinstance(raw, str):
            raise self.err(line, node_id, f"condition must be text, got {type(raw).__name__}")
        try:
            return parse(raw)
        except ConditionError as exc:
            raise self.err(line, node_id, f"condition {raw!r}: {exc}") from None

    def node(self, node_id: Any, raw: Any, line: int) -> Node:
        if not isinstance(node_id, str) or not node_id:
            raise self.err(line, None, f"node id must be text, got {node_id!r}")
        if not isinstance(raw, dict):
            raise self.err(line, node_id, f"expected a mapping of node fields, got {type(raw).__name__}")
        kind = raw.get("kind")
        if kind not in NODE_KINDS:
            raise self.err(_line(raw, "kind") or line, node_id,
                           f"unknown node kind {kind!r} (expected one of: {', '.join(NODE_KINDS)})")
        allowed = _COMMON_KEYS | _KIND_KEYS[kind]
        for key in raw:
            if key not in allowed:
                raise self.err(_line(raw, key), node_id,
                               f"unknown key '{key}' for a {kind} node (allowed: {', '.join(sorted(allowed))})")
        node = Node(id=node_id, kind=kind, where=Where(self.name, line),
                    title=self.text(raw.get("title"), node_id, "title", _line(raw, "title")),
                    text=self.text(raw.get("text"), node_id, "text", _line(raw, "text")))
        if kind == "question":
            node.question = raw.get("question", node_id)
            if not isinstance(node.question, str):
                raise self.err(_line(raw, "question"), node_id, "'question' must be a question id")
            node.free_answer = raw.get("free_answer", False)
            if not isinstance(node.free_answer, bool):
                raise self.err(_line(raw, "free_answer"), node_id, "'free_answer' must be true or false")
            answers = raw.get("answers", {})
            if not isinstance(answers, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                        for k, v in answers.items()):
                hint = ""
                if isinstance(answers, dict) and any(isinstance(k, bool) for k in answers):
                    hint = " (YAML reads yes/no/on/off as true/false: quote such codes)"
                raise self.err(_line(raw, "answers"), node_id,
                               f"'answers' must map answer codes to explanations{hint}")
            if not answers and not node.free_answer:
                raise self.err(line, node_id, "a question needs 'answers' (or free_answer: true)")
            node.answers = {k: v.strip() for k, v in answers.items()}
            if not node.text:
                raise self.err(line, node_id, "a question needs 'text' (what the user is asked)")
        elif kind in ("probe", "fix"):
            action = raw.get(kind)
            if not isinstance(action, str) or not action:
                raise self.err(_line(raw, kind) or line, node_id, f"a {kind} node needs '{kind}: NAME'")
            node.action = action
            if kind == "fix":
                node.destructive = raw.get("destructive", False)
                if not isinstance(node.destructive, bool):
                    raise self.err(_line(raw, "destructive"), node_id, "'destructive' must be true or false")
        elif kind == "verdict":
            code = raw.get("verdict")
            if not isinstance(code, str):
                raise self.err(_line(raw, "verdict") or line, node_id, "a verdict node needs 'verdict: CODE'")
            node.verdict = code
            steps = raw.get("next_steps", [])
            if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
                raise self.err(_line(raw, "next_steps"), node_id, "'next_steps' must be a list of texts")
            node.next_steps = [s.strip() for s in steps]
            if not node.text:
                raise self.err(line, node_id, "a verdict needs 'text' (its explanation for the rider)")
            if "next" in raw:
                raise self.err(_line(raw, "next"), node_id, "a verdict is a leaf: it has no 'next'")
        node.edges = self.edges(raw.get("next", []), node_id, _line(raw, "next") or line)
        node.findings = self.finding_rules(raw.get("findings", []), node_id, _line(raw, "findings") or line)
        return node

    def edges(self, raw: Any, node_id: str, line: int) -> list[Edge]:
        if isinstance(raw, str):  # `next: other-node`: a single default edge
            return [Edge(raw, None, None, Where(self.name, line))]
        if not isinstance(raw, list):
            raise self.err(line, node_id, "'next' must be a node id or a list of edges")
        out = []
        for item in raw:
            item_line = _line(item) or line
            if not isinstance(item, dict):
                raise self.err(item_line, node_id, "each edge is a mapping: {if: CONDITION, to: NODE}")
            for key in item:
                if key not in ("if", "to", "max", "label"):
                    raise self.err(_line(item, key), node_id,
                                   f"unknown key '{key}' in an edge (allowed: if, to, max, label)")
            target = item.get("to")
            if not isinstance(target, str):
                raise self.err(item_line, node_id, "an edge needs 'to: NODE'")
            when = self.condition(item["if"], node_id, _line(item, "if")) if "if" in item else None
            max_times = item.get("max")
            if max_times is not None and (isinstance(max_times, bool) or not isinstance(max_times, int)
                                          or max_times < 1):
                raise self.err(_line(item, "max"), node_id, "'max' must be a whole number >= 1")
            label = item.get("label")
            if label is not None and not isinstance(label, str):
                raise self.err(_line(item, "label"), node_id, "'label' must be text")
            out.append(Edge(target, when, max_times, Where(self.name, item_line), label))
        return out

    def finding_rules(self, raw: Any, node_id: str, line: int) -> list[FindingRule]:
        if not isinstance(raw, list):
            raise self.err(line, node_id, "'findings' must be a list of {add: CODE, if: CONDITION}")
        out = []
        for item in raw:
            item_line = _line(item) or line
            if not isinstance(item, dict) or not isinstance(item.get("add"), str):
                raise self.err(item_line, node_id, "each finding is {add: CODE, if: CONDITION}")
            for key in item:
                if key not in ("add", "if"):
                    raise self.err(_line(item, key), node_id, f"unknown key '{key}' in a finding (allowed: add, if)")
            when = self.condition(item["if"], node_id, _line(item, "if")) if "if" in item else None
            out.append(FindingRule(item["add"], when, Where(self.name, item_line)))
        return out


def load_graph(path: str | Path | None = None) -> Graph:
    """Load a graph from a file or a directory of *.yaml files (default: the built-in rules)."""
    path = Path(path) if path is not None else builtin_rules_path()
    if path.is_dir():
        # plans.yaml beside the graph holds the fix plans (vescdoctor.fixes.plans_file), not graph nodes
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
                       and p.name not in NOT_GRAPH_FILES)
        if not files:
            raise InputError("no *.yaml graph files in this directory", str(path))
    elif path.exists():
        files = [path]
    else:
        raise InputError("no such file or directory", str(path))
    header: dict[str, Any] = {}
    header_file = None
    nodes: dict[str, Node] = {}
    digest = hashlib.sha256()
    for file in files:
        name = str(file)
        text = read_text_bounded(file, MAX_YAML_BYTES, "a graph (YAML)")  # capped like every YAML input
        digest.update(file.name.encode() + b"\0" + text.encode() + b"\0")
        data = load_text(text, name)
        loader = _FileLoader(name)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise loader.err(_line(data), None, "expected a mapping with 'nodes:' (and 'graph:', 'start:' once)")
        for key in data:
            if key not in _HEADER_KEYS:
                raise loader.err(_line(data, key), None,
                                 f"unknown top-level key '{key}' (allowed: {', '.join(sorted(_HEADER_KEYS))})")
        if "start" in data or "graph" in data:
            if header_file is not None:
                raise loader.err(_line(data, "start"), None, f"a second graph header (the first is in {header_file})")
            header_file = name
            header = {"id": data.get("graph"), "version": data.get("version", "0"), "start": data.get("start"),
                      "line": _line(data, "start")}
        raw_nodes = data.get("nodes", {})
        if not isinstance(raw_nodes, dict):
            raise loader.err(_line(data, "nodes"), None, "'nodes' must be a mapping of node id to node")
        for node_id, raw in raw_nodes.items():
            line = _line(raw_nodes, node_id)
            if node_id in nodes:
                raise loader.err(line, node_id, f"defined twice (first at {nodes[node_id].where})")
            nodes[node_id] = loader.node(node_id, raw, line)
    if header_file is None:
        raise InputError("no graph header: one file needs 'graph: ID' and 'start: NODE'", str(path))
    if not isinstance(header["id"], str) or not isinstance(header["start"], str):
        raise InputError("the header needs 'graph: ID' and 'start: NODE' as text", f"{header_file}:{header['line']}")
    if header["start"] not in nodes:
        raise InputError(f"start node '{header['start']}' is not defined", f"{header_file}:{header['line']}")
    return Graph(id=header["id"], version=str(header["version"]), start=header["start"], nodes=nodes,
                 files=[str(f) for f in files], digest=digest.hexdigest())
