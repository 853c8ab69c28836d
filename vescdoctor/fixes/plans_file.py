"""rules/plans.yaml: the fix plans as data, loaded and checked with FILE:LINE errors (format: docs/fixes.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..knowledge.verdicts import VERDICT_CODES
from ..yamlfile import Located, load_file, where

PLANS_FILE = "plans.yaml"
TOP_KEYS = ("plans", "version", "order", "verdicts", "findings")


@dataclass(frozen=True)
class VerdictPlan:
    verdict: str
    why: str
    steps: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class FindingSteps:
    finding: str
    steps: tuple[str, ...]
    if_missing: str  # refuse | skip
    where: str


@dataclass
class PlanBook:
    order: tuple[str, ...]
    verdicts: dict[str, VerdictPlan] = field(default_factory=dict)
    findings: dict[str, FindingSteps] = field(default_factory=dict)
    path: str = ""


def plans_path() -> Path:
    from ..graph.loader import builtin_rules_path

    return builtin_rules_path() / PLANS_FILE


def load_plans(path: str | Path | None = None) -> PlanBook:
    path = Path(path) if path is not None else plans_path()
    name = str(path)
    data = load_file(path)
    _check_top(data, name)
    order = _steps_of(data.get("order"), where(name, data, "order"))
    missing = [s for s in _steps() if s not in order]
    if missing:
        raise InputError(f"order: lacks the steps {', '.join(missing)}", where(name, data, "order"))
    book = PlanBook(order=order, path=name)
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, Located) or not verdicts:
        raise InputError("verdicts: a mapping of verdict code -> plan expected", where(name, data, "verdicts"))
    for code, plan in verdicts.items():
        book.verdicts[code] = _verdict_plan(name, verdicts, code, plan)
    findings = data.get("findings") or Located()
    if not isinstance(findings, dict):
        raise InputError("findings: a mapping of finding code -> steps expected", where(name, data, "findings"))
    for code, item in findings.items():
        book.findings[code] = _finding_steps(name, findings, code, item)
    return book


def _steps() -> dict[str, Any]:
    from .steps import STEPS

    return STEPS


def _check_top(data: Any, name: str) -> None:
    if not isinstance(data, Located):
        raise InputError("expected a mapping with 'plans:', 'order:' and 'verdicts:'", name)
    for key in data:
        if key not in TOP_KEYS:
            raise InputError(f"unknown key '{key}' (allowed: {', '.join(TOP_KEYS)})", where(name, data, key))
    if data.get("plans") != "vescdoctor-fix-plans":
        raise InputError("'plans: vescdoctor-fix-plans' expected", where(name, data, "plans"))
    if data.get("version") != 1:
        raise InputError(f"version {data.get('version')!r} not supported (expected 1)", where(name, data, "version"))


def _steps_of(raw: Any, at: str) -> tuple[str, ...]:
    steps = _steps()
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise InputError("steps: a non-empty list of step names expected", at)
    for step in raw:
        if step not in steps:
            raise InputError(f"unknown step '{step}' (registered: {', '.join(steps)})", at)
    if len(set(raw)) != len(raw):
        raise InputError("a step is listed twice", at)
    return tuple(raw)


def _verdict_plan(name: str, verdicts: Located, code: str, plan: Any) -> VerdictPlan:
    at = where(name, verdicts, code)
    if code not in VERDICT_CODES:
        raise InputError(f"'{code}' is not a verdict code (spec/verdicts.md)", at)
    if not isinstance(plan, Located):
        raise InputError(f"plan of '{code}': a mapping with 'why' and 'steps' expected", at)
    for key in plan:
        if key not in ("why", "steps"):
            raise InputError(f"unknown key '{key}' in the plan of '{code}' (allowed: why, steps)",
                             where(name, plan, key))
    if not isinstance(plan.get("why"), str):
        raise InputError(f"plan of '{code}': 'why' (a sentence) expected", at)
    return VerdictPlan(code, plan["why"], _steps_of(plan.get("steps"), where(name, plan, "steps")), at)


def _finding_steps(name: str, findings: Any, code: str, item: Any) -> FindingSteps:
    at = where(name, findings, code)
    if code not in VERDICT_CODES:
        raise InputError(f"'{code}' is not a finding code (spec/verdicts.md)", at)
    if not isinstance(item, dict):
        raise InputError(f"finding '{code}': a mapping with 'steps' and 'if_missing' expected", at)
    for key in item:
        if key not in ("steps", "if_missing"):
            raise InputError(f"unknown key '{key}' in finding '{code}' (allowed: steps, if_missing)",
                             where(name, item, key))
    if_missing = item.get("if_missing", "refuse")
    if if_missing not in ("refuse", "skip"):
        raise InputError(f"finding '{code}': if_missing must be refuse or skip, not {if_missing!r}",
                         where(name, item, "if_missing"))
    return FindingSteps(code, _steps_of(item.get("steps"), where(name, item, "steps")), if_missing, at)
