"""The reliability matrix of issue 12 in its bounded form: one case of each fault family (unplug, power loss,
option-byte interruption, flaky SWD, stuck bit, double fault), every hostile input, the consent and concurrency
checks. Each asserts nothing is lost (bench/reliability.py: the backup equals the flash before, the next run is
healthy, configuration and bootloader kept). The full matrix: `python bench/reliability.py` (docs/reliability.md)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "reliability.py"
_spec = importlib.util.spec_from_file_location("vescdoctor_bench_reliability", _PATH)
reliability = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = reliability
_spec.loader.exec_module(reliability)

HEAVY = {"unplug", "power", "option-bytes", "flaky-swd", "stuck-bits", "double", "concurrency"}
QUICK = [c for c in reliability.cases() if c.quick]  # the hostile inputs are listed from a Lab, below


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return reliability.Lab(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in QUICK if c.family in HEAVY], ids=lambda c: f"{c.family}: {c.name}")
def test_fault_family_loses_nothing(lab, case):
    case.run(lab)


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
@pytest.mark.parametrize("case", [c for c in QUICK if c.family not in HEAVY], ids=lambda c: f"{c.family}: {c.name}")
def test_consent_holds(lab, case):
    case.run(lab)


@pytest.mark.slow  # a whole fix or many runs: the full suite, not the fast tier
def test_every_hostile_input_is_one_clear_line_and_exit_2(lab):
    failures = []
    for index, (what, _) in enumerate(reliability.hostile_inputs(lab)):
        try:
            reliability.hostile_case(what, index)(lab)
        except AssertionError as exc:
            failures.append(f"{what}: {exc}")
    assert not failures, failures
