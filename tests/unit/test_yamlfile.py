"""yamlfile.read_mapping: the one declarative check every YAML file of the project uses (graph, plans, board,
scenario); each caller keeps its wording and FILE:LINE through `fail`."""
from __future__ import annotations

import pytest

from vescdoctor.errors import InputError
from vescdoctor.yamlfile import ANY, Field, is_bool, is_count, load_text, optional, read_mapping, where

FIELDS = {
    "to": Field(lambda v: isinstance(v, str), "an edge needs 'to: NODE'", required=True, at_key=False),
    "max": Field(optional(is_count), "'{key}' must be a whole number >= 1, got {type}"),
    "power": Field(lambda v: v in ("on", "off"), lambda v: f"power {v!r}?", default="on",
                   convert=lambda v: ("on" if v else "off") if isinstance(v, bool) else v),
    "if": ANY,
}


def read(text: str) -> dict:
    data = load_text(text, "f.yaml")
    return read_mapping(data, FIELDS, "unknown key '{key}' (allowed: to, max, power, if)",
                        lambda message, key: InputError(message, where("f.yaml", data, key)))


def refused(text: str) -> str:
    with pytest.raises(InputError) as info:
        read(text)
    return str(info.value)


def test_values_defaults_and_conversion():
    assert read("to: a\npower: off\n") == {"to": "a", "power": "off", "max": None, "if": None}
    assert read("to: a\n")["power"] == "on"


def test_each_problem_in_the_callers_words_at_its_line():
    assert refused("to: a\ncolour: red\n") == "f.yaml:2: unknown key 'colour' (allowed: to, max, power, if)"
    assert refused("to: a\nmax: 0\n") == "f.yaml:2: 'max' must be a whole number >= 1, got int"
    assert refused("to: a\nmax: true\n") == "f.yaml:2: 'max' must be a whole number >= 1, got bool"
    assert refused("to: a\npower: 5\n") == "f.yaml:2: power 5?"


def test_a_missing_required_key_and_a_message_about_the_mapping_sit_at_the_mapping():
    assert refused("\n\nmax: 2\n") == "f.yaml:3: an edge needs 'to: NODE'"
    assert refused("max: 2\nto: [x]\n") == "f.yaml:1: an edge needs 'to: NODE'"


def test_the_first_problem_from_the_top_of_the_file_is_the_one_reported():
    assert refused("to: a\nmax: 0\ncolour: red\n").startswith("f.yaml:2:")
    assert refused("to: a\ncolour: red\nmax: 0\n").startswith("f.yaml:2: unknown key")


def test_predicates():
    assert is_bool(False) and not is_bool(0)
    assert is_count(1) and not is_count(0) and not is_count(True) and not is_count(1.0)
