"""The marker block of synthetic images (vescdoctor.sim.imagegen), read through vescdoctor.knowledge.synthetic.

That module belongs to the bench and may not exist yet: its absence (or a marker it cannot read) means "no marker".
"""
from __future__ import annotations

import importlib


def synthetic_marker(data: bytes) -> dict | None:
    """parse_marker(data) when the synthetic-image module is there, else None."""
    try:
        module = importlib.import_module("vescdoctor.knowledge.synthetic")
    except ImportError:
        return None
    parse = getattr(module, "parse_marker", None)
    if parse is None:
        return None
    marker = parse(bytes(data))
    return marker if isinstance(marker, dict) else None
