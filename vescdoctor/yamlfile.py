"""Safe YAML loading that remembers where every mapping and key came from, for FILE:LINE errors.

Only yaml.SafeLoader is used: tags that construct Python objects are refused by it. Mappings come back as
`Located` dicts that know their own line and the line of each key. `read_mapping` checks one mapping against a
declaration of its keys (`Field`s), keeping each file's FILE:LINE and wording: the graph loader and the fix plans
use it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


# -- declarative checks of one mapping (graph nodes, edges, plans): what each key must hold, in the file's words ----


def line_of(mapping: Any, key: Any = None) -> int:
    """The line of a key of a Located mapping (or of the mapping itself); 0 when unknown."""
    if isinstance(mapping, Located):
        return mapping.key_lines.get(key, mapping.line) if key is not None else mapping.line
    return 0


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping: what its value must be and what to say when it is not.

    problem: the message, with {key} and {type} (the value's type name) filled in (str.format: write a brace
    as {{ }}), or a function of the value. A required key that is missing gets the same message, placed at the
    mapping; so does a bad value when at_key is False (the message speaks of the whole mapping, e.g. "an edge needs
    'to: NODE'"). convert: applied to the value before it is checked (YAML 1.1 reads a bare `on` as true; a nested
    mapping is read by its own function, which raises its own errors)."""

    accepts: Callable[[Any], bool]
    problem: str | Callable[[Any], str]
    required: bool = False
    default: Any = None
    at_key: bool = True
    convert: Callable[[Any], Any] | None = None

    def message(self, key: str, value: Any) -> str:
        if callable(self.problem):
            return self.problem(value)
        return self.problem.format(key=key, type=type(value).__name__)


def read_mapping(mapping: Mapping[Any, Any], fields: Mapping[str, Field], unknown: str,
                 fail: Callable[[str, Any], Exception]) -> dict[str, Any]:
    """The values of `mapping` checked against `fields`, top to bottom as the file has them (an unknown key is
    `unknown` with {key} filled in), then the required keys that are missing; defaults for absent keys.
    fail(message, key) makes the error (key None: the mapping's own place), so each file keeps its own FILE:LINE
    and wording."""
    values: dict[str, Any] = {}
    for key, value in mapping.items():
        field = fields.get(key)
        if field is None:
            raise fail(unknown.format(key=key), key)
        if field.convert is not None:
            value = field.convert(value)
        if not field.accepts(value):
            raise fail(field.message(key, value), key if field.at_key else None)
        values[key] = value
    for key, field in fields.items():
        if key not in values:
            if field.required:
                raise fail(field.message(key, field.default), None)
            values[key] = field.default
    return values


ANY = Field(lambda value: True, "")  # read by the caller's own code (a condition, a list of steps)


def is_text(value: Any) -> bool:
    return isinstance(value, str)


def is_name(value: Any) -> bool:
    """Non-empty text."""
    return isinstance(value, str) and bool(value)


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_count(value: Any) -> bool:
    """A whole number >= 1 (YAML's true is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def is_texts(value: Any) -> bool:
    """A list of texts."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def is_text_map(value: Any) -> bool:
    """A mapping of text to text."""
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def optional(accepts: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """`accepts`, or an empty value (`key:` with nothing after it)."""
    return lambda value: value is None or accepts(value)
