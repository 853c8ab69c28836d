"""Draw the graph as Mermaid or Graphviz dot text, for docs and for forum helpers."""
from __future__ import annotations

import re

from .model import Graph

_SHAPES_MERMAID = {"question": ("{{", "}}"), "probe": ("[/", "/]"), "decision": ("{", "}"),
                   "fix": ("[[", "]]"), "verdict": ("([", "])")}
_SHAPES_DOT = {"question": "hexagon", "probe": "parallelogram", "decision": "diamond", "fix": "box3d",
               "verdict": "doubleoctagon"}


def _mermaid_id(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _label(graph: Graph, node_id: str) -> str:
    node = graph.nodes[node_id]
    detail = node.verdict if node.kind == "verdict" else node.action if node.kind in ("probe", "fix") else None
    text = node.title or node_id
    return f"{text} ({detail})" if detail and detail not in text else text


def _edge_label(edge) -> str:
    if edge.label:
        return edge.label
    text = edge.when.text if edge.when else "otherwise"
    if edge.max_times:
        text += f" [max {edge.max_times}]"
    return text


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart TD"]
    for node_id, node in graph.nodes.items():
        left, right = _SHAPES_MERMAID[node.kind]
        label = _label(graph, node_id).replace('"', "'")
        lines.append(f'    {_mermaid_id(node_id)}{left}"{label}"{right}')
    for node_id, node in graph.nodes.items():
        for edge in node.edges:
            label = _edge_label(edge).replace('"', "'").replace("|", "/")
            lines.append(f'    {_mermaid_id(node_id)} -->|"{label}"| {_mermaid_id(edge.to)}')
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph) -> str:
    lines = [f"digraph {_dot_quote(graph.id)} {{", "    rankdir=TB;", "    node [fontname=Helvetica];"]
    for node_id, node in graph.nodes.items():
        label = _dot_quote(_label(graph, node_id))
        lines.append(f"    {_dot_quote(node_id)} [shape={_SHAPES_DOT[node.kind]}, label={label}];")
    for node_id, node in graph.nodes.items():
        for edge in node.edges:
            style = ", style=dashed" if edge.max_times else ""
            label = _dot_quote(_edge_label(edge))
            lines.append(f"    {_dot_quote(node_id)} -> {_dot_quote(edge.to)} [label={label}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
