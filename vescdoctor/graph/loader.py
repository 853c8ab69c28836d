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
from ..yamlfile import (
    ANY,
    MAX_YAML_BYTES,
    Field,
    is_bool,
    is_count,
    is_name,
    is_text,
    is_text_map,
    is_texts,
    line_of,
    load_text,
    optional,
    read_mapping,
)
from .conditions import ConditionError, parse
from .model import NODE_KINDS, Edge, FindingRule, Graph, Node, Where


def _answers_problem(answers: Any) -> str:
    hint = ""
    if isinstance(answers, dict) and any(isinstance(k, bool) for k in answers):
        hint = " (YAML reads yes/no/on/off as true/false: quote such codes)"
    return f"'answers' must map answer codes to explanations{hint}"


# What each node kind may hold (docs/rules.md), in the order the keys are checked. `next` and `findings` are
# read by _FileLoader.edges and .finding_rules.
_TEXT = Field(optional(is_text), "'{key}' must be text, got {type}", default="")
_COMMON = {"kind": Field(is_text, ""), "title": _TEXT, "text": _TEXT, "next": Field(lambda v: True, "", default=[]),
           "findings": Field(lambda v: True, "", default=[])}
_KIND_FIELDS: dict[str, dict[str, Field]] = {
    "question": {"question": Field(is_text, "'question' must be a question id"),
                 "free_answer": Field(is_bool, "'free_answer' must be true or false", default=False),
                 "answers": Field(is_text_map, _answers_problem, default={})},
    "probe": {"probe": Field(is_name, "a probe node needs 'probe: NAME'", required=True)},
    "decision": {},
    "fix": {"fix": Field(is_name, "a fix node needs 'fix: NAME'", required=True),
            "destructive": Field(is_bool, "'destructive' must be true or false", default=False)},
    "verdict": {"verdict": Field(is_text, "a verdict node needs 'verdict: CODE'", required=True),
                "next_steps": Field(is_texts, "'next_steps' must be a list of texts", default=[])},
}
_EDGE = {"if": ANY, "to": Field(is_text, "an edge needs 'to: NODE'", required=True, at_key=False),
         "max": Field(optional(is_count), "'max' must be a whole number >= 1"),
         "label": Field(optional(is_text), "'label' must be text")}
_FINDING = {"add": Field(is_text, "each finding is {{add: CODE, if: CONDITION}}", required=True, at_key=False),
            "if": ANY}
_HEADER = {"graph": ANY, "version": Field(lambda v: True, "", default="0"), "start": ANY,
           "nodes": Field(lambda v: isinstance(v, dict), "'nodes' must be a mapping of node id to node", default={})}


NOT_GRAPH_FILES = frozenset({"plans.yaml"})


def builtin_rules_path() -> Path:
    """rules/ inside the installed wheel, or at the top of a source checkout."""
    packaged = resources.files("vescdoctor") / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules"


_line = line_of


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

    def fields(self, raw: Any, fields: dict[str, Field], unknown: str, node_id: str, line: int) -> dict[str, Any]:
        return read_mapping(raw, fields, unknown,
                            lambda message, key: self.err(_line(raw, key) if key is not None else line, node_id,
                                                          message))

    def node(self, node_id: Any, raw: Any, line: int) -> Node:
        if not isinstance(node_id, str) or not node_id:
            raise self.err(line, None, f"node id must be text, got {node_id!r}")
        if not isinstance(raw, dict):
            raise self.err(line, node_id, f"expected a mapping of node fields, got {type(raw).__name__}")
        kind = raw.get("kind")
        if kind not in NODE_KINDS:
            raise self.err(_line(raw, "kind") or line, node_id,
                           f"unknown node kind {kind!r} (expected one of: {', '.join(NODE_KINDS)})")
        fields = {**_COMMON, **_KIND_FIELDS[kind]}
        values = self.fields(raw, fields, f"unknown key '{{key}}' for a {kind} node (allowed: "
                             f"{', '.join(sorted(fields))})", node_id, _line(raw) or line)
        node = Node(id=node_id, kind=kind, where=Where(self.name, line), title=values["title"].strip(),
                    text=values["text"].strip())
        self.kind_fields(node, values, raw, line)
        node.edges = self.edges(values["next"], node_id, _line(raw, "next") or line)
        node.findings = self.finding_rules(values["findings"], node_id, _line(raw, "findings") or line)
        return node

    def kind_fields(self, node: Node, values: dict[str, Any], raw: Any, line: int) -> None:
        """What only one kind of node holds, and the rules across its keys."""
        if node.kind == "question":
            node.question = values["question"] if values["question"] is not None else node.id
            node.free_answer = values["free_answer"]
            if not values["answers"] and not node.free_answer:
                raise self.err(line, node.id, "a question needs 'answers' (or free_answer: true)")
            node.answers = {k: v.strip() for k, v in values["answers"].items()}
            if not node.text:
                raise self.err(line, node.id, "a question needs 'text' (what the user is asked)")
        elif node.kind in ("probe", "fix"):
            node.action = values[node.kind]
            node.destructive = values.get("destructive", False)
        elif node.kind == "verdict":
            node.verdict = values["verdict"]
            node.next_steps = [s.strip() for s in values["next_steps"]]
            if not node.text:
                raise self.err(line, node.id, "a verdict needs 'text' (its explanation for the rider)")
            if "next" in raw:
                raise self.err(_line(raw, "next"), node.id, "a verdict is a leaf: it has no 'next'")

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
            values = self.fields(item, _EDGE, "unknown key '{key}' in an edge (allowed: if, to, max, label)",
                                 node_id, item_line)
            when = self.condition(item["if"], node_id, _line(item, "if")) if "if" in item else None
            out.append(Edge(values["to"], when, values["max"], Where(self.name, item_line), values["label"]))
        return out

    def finding_rules(self, raw: Any, node_id: str, line: int) -> list[FindingRule]:
        if not isinstance(raw, list):
            raise self.err(line, node_id, "'findings' must be a list of {add: CODE, if: CONDITION}")
        out = []
        for item in raw:
            item_line = _line(item) or line
            if not isinstance(item, dict):
                raise self.err(item_line, node_id, "each finding is {add: CODE, if: CONDITION}")
            values = self.fields(item, _FINDING, "unknown key '{key}' in a finding (allowed: add, if)", node_id,
                                 item_line)
            when = self.condition(item["if"], node_id, _line(item, "if")) if "if" in item else None
            out.append(FindingRule(values["add"], when, Where(self.name, item_line)))
        return out


def load_graph(path: str | Path | None = None) -> Graph:
    """Load a graph from a file or a directory of *.yaml files (default: the built-in rules)."""
    path = Path(path) if path is not None else builtin_rules_path()
    files = _graph_files(path)
    headers: list[dict[str, Any]] = []
    nodes: dict[str, Node] = {}
    digest = hashlib.sha256()
    for file in files:
        header = _load_file(file, nodes, digest, headers[0]["file"] if headers else None)
        if header is not None:
            headers.append(header)
    if not headers:
        raise InputError("no graph header: one file needs 'graph: ID' and 'start: NODE'", str(path))
    header = headers[0]
    at = f"{header['file']}:{header['line']}"
    if not isinstance(header["id"], str) or not isinstance(header["start"], str):
        raise InputError("the header needs 'graph: ID' and 'start: NODE' as text", at)
    if header["start"] not in nodes:
        raise InputError(f"start node '{header['start']}' is not defined", at)
    return Graph(id=header["id"], version=str(header["version"]), start=header["start"], nodes=nodes,
                 files=[str(f) for f in files], digest=digest.hexdigest())


def _graph_files(path: Path) -> list[Path]:
    if path.is_dir():
        # plans.yaml beside the graph holds the fix plans (vescdoctor.fixes.plans_file), not graph nodes
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
                       and p.name not in NOT_GRAPH_FILES)
        if not files:
            raise InputError("no *.yaml graph files in this directory", str(path))
        return files
    if path.exists():
        return [path]
    raise InputError("no such file or directory", str(path))


def _load_file(file: Path, nodes: dict[str, Node], digest: Any, header_file: str | None) -> dict[str, Any] | None:
    """Add the nodes of one graph file to `nodes` (and its bytes to `digest`); its header, if it has one."""
    name = str(file)
    text = read_text_bounded(file, MAX_YAML_BYTES, "a graph (YAML)")  # capped like every YAML input
    digest.update(file.name.encode() + b"\0" + text.encode() + b"\0")
    data = load_text(text, name)
    loader = _FileLoader(name)
    if data is None:
        return None
    if not isinstance(data, dict):
        raise loader.err(_line(data), None, "expected a mapping with 'nodes:' (and 'graph:', 'start:' once)")
    values = read_mapping(data, _HEADER, "unknown top-level key '{key}' (allowed: graph, nodes, start, version)",
                          lambda message, key: loader.err(_line(data, key), None, message))
    header = None
    if "start" in data or "graph" in data:
        if header_file is not None:
            raise loader.err(_line(data, "start"), None, f"a second graph header (the first is in {header_file})")
        header = {"id": values["graph"], "version": values["version"], "start": values["start"],
                  "line": _line(data, "start"), "file": name}
    for node_id, raw in values["nodes"].items():
        line = _line(values["nodes"], node_id)
        if node_id in nodes:
            raise loader.err(line, node_id, f"defined twice (first at {nodes[node_id].where})")
        nodes[node_id] = loader.node(node_id, raw, line)
    return header
