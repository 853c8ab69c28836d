"""Safe YAML loading that remembers where every mapping and key came from, for FILE:LINE errors.

Only yaml.SafeLoader is used: tags that construct Python objects are refused by it. Mappings come back as
`Located` dicts that know their own line and the line of each key.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError


class Located(dict):
    """A dict from YAML with `line` (its own, 1-based) and `key_lines` (key -> line)."""

    line: int = 0
    key_lines: dict


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    out = Located()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value",
                                                    key_node.start_mark) from None
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
MAX_INT_DIGITS = 30  # no count, address or size in a vescdoctor file comes near; Python refuses > 4300 anyway


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if len(text.replace("_", "").lstrip("+-")) > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(None, None, f"a number longer than {MAX_INT_DIGITS} digits",
                                                node.start_mark)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _construct_str(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    """Text without control characters (terminal escapes, bidi overrides): every string of a graph, board or
    scenario may be printed, so one that could act on a terminal is refused where it is (issue 12, item 6)."""
    from .textsafe import UNSAFE_CHARS

    text = loader.construct_scalar(node)
    bad = UNSAFE_CHARS.search(text)
    if bad:
        raise yaml.constructor.ConstructorError(
            None, None, f"control character U+{ord(bad.group()):04X} in a text (terminal escapes are not allowed)",
            node.start_mark)
    return text


_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)

MAX_YAML_BYTES = 4 * 1024 * 1024  # no legitimate graph, board or scenario comes near this


def load_text(text: str, name: str) -> Any:
    """Parse YAML text; any syntax or tag problem becomes one InputError naming `name` and the line."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = (exc.problem or exc.context or "not valid YAML").strip()
        raise InputError(f"YAML: {problem}", f"{name}{line}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML: {exc}".splitlines()[0], name) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise InputError("YAML: nested too deep", name) from None


def load_file(path: str | Path) -> Any:
    """Read and parse a YAML file; unreadable, too large, binary or malformed files raise InputError."""
    from .safeio import read_text_bounded

    text = read_text_bounded(path, MAX_YAML_BYTES, "a YAML file")
    return load_text(text, str(path))


def where(name: str, mapping: Any, key: Any = None) -> str:
    """FILE:LINE for a key of a Located mapping (or the mapping itself), FILE when the line is unknown."""
    if isinstance(mapping, Located):
        line = mapping.key_lines.get(key, mapping.line) if key is not None else mapping.line
        if line:
            return f"{name}:{line}"
    return name
