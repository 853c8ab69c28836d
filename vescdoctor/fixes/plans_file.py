"""rules/plans.yaml: the fix plans as data, loaded and checked with FILE:LINE errors (format: docs/fixes.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..knowledge.verdicts import VERDICT_CODES
from ..yamlfile import ANY, Field, Located, is_text, load_file, read_mapping, where

PLANS_FILE = "plans.yaml"
TOP_KEYS = ("plans", "version", "order", "verdicts", "findings", "usb")
# The steps of a repair over USB (vescdoctor/usbrepair), in the order they run.
USB_STEPS = ("save-config", "usb-write-bootloader", "usb-update-firmware", "reprobe")


@dataclass(frozen=True)
class VerdictPlan:
    verdict: str
    why: str
    steps: tuple[str, ...]
    where: str
    # The cause the diagnosis pointed at, named by its verdict node in the graph: node id -> that cause's plan
    # (firmware-not-running: a LispBM script is cured by erasing it, not the configuration).
    causes: dict[str, VerdictPlan] = field(default_factory=dict)

    def for_node(self, node: str | None) -> VerdictPlan:
        """The plan for the verdict node the diagnosis ended on: its cause's, else the verdict's own."""
        return self.causes.get(node or "", self)


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
    # Verdicts whose plan is manual (`manual: true`, no steps): the rider acts, vescdoctor never writes (wrong-chip)
    manual: dict[str, str] = field(default_factory=dict)
    findings: dict[str, FindingSteps] = field(default_factory=dict)
    path: str = ""
    usb: dict[str, VerdictPlan] = field(default_factory=dict)  # repairs over USB (usbrepair), by verdict


def plans_path() -> Path:
    from ..graph.loader import builtin_rules_path

    return builtin_rules_path() / PLANS_FILE


# What plans.yaml holds (docs/fixes.md), declared for yamlfile.read_mapping; step lists are checked by _steps.
_TOP = {
    "plans": Field(lambda v: v == "vescdoctor-fix-plans", "'plans: vescdoctor-fix-plans' expected", required=True),
    "version": Field(lambda v: v == 1, lambda v: f"version {v!r} not supported (expected 1)", required=True),
    "order": ANY,  # these three after the order's steps: _steps, _verdicts, _findings
    "verdicts": ANY,
    "findings": ANY,
    "usb": ANY,  # repairs over USB: _usb_plans
}


def _plan_fields(code: str) -> dict[str, Field]:
    return {"why": Field(is_text, f"plan of '{code}': 'why' (a sentence) expected", required=True, at_key=False),
            "steps": ANY, "manual": ANY, "causes": ANY}


def _finding_fields(code: str) -> dict[str, Field]:
    return {"if_missing": Field(lambda v: v in ("refuse", "skip"),
                                lambda v: f"finding '{code}': if_missing must be refuse or skip, not {v!r}",
                                default="refuse"),
            "steps": ANY}


def _fail(name: str, mapping: Located, at: str | None = None):
    """read_mapping's errors for one mapping of plans.yaml: at the key, or at `at` (default: the mapping)."""
    return lambda message, key: InputError(message, where(name, mapping, key) if key is not None or at is None
                                           else at)


def _registered() -> dict[str, Any]:
    """The fix steps (fixes/steps/), imported late: the steps' package imports the plan records."""
    from .steps import STEPS

    return STEPS


def _steps(raw: Any, at: str) -> tuple[str, ...]:
    registered = _registered()
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise InputError("steps: a non-empty list of step names expected", at)
    for step in raw:
        if step not in registered:
            raise InputError(f"unknown step '{step}' (registered: {', '.join(registered)})", at)
    if len(set(raw)) != len(raw):
        raise InputError("a step is listed twice", at)
    return tuple(raw)


def load_plans(path: str | Path | None = None, *, prove: bool = True) -> PlanBook:
    """The plans at `path` (default: the built-in ones). With prove (what every fix uses), a plan that could
    destroy data before a backup is bad input naming the first problem; `rules check` lists them all."""
    path = Path(path) if path is not None else plans_path()
    name = str(path)
    data = load_file(path)
    if not isinstance(data, Located):
        raise InputError("expected a mapping with 'plans:', 'order:' and 'verdicts:'", name)
    top = read_mapping(data, _TOP, f"unknown key '{{key}}' (allowed: {', '.join(TOP_KEYS)})", _fail(name, data))
    order = _steps(top["order"], where(name, data, "order"))
    missing = [s for s in _registered() if s not in order]
    if missing:
        raise InputError(f"order: lacks the steps {', '.join(missing)}", where(name, data, "order"))
    book = PlanBook(order=order, path=name)
    verdicts = top["verdicts"]
    if not isinstance(verdicts, Located) or not verdicts:
        raise InputError("verdicts: a mapping of verdict code -> plan expected", where(name, data, "verdicts"))
    for code, plan in verdicts.items():
        at = where(name, verdicts, code)
        if code not in VERDICT_CODES:
            raise InputError(f"'{code}' is not a verdict code (spec/verdicts.md)", at)
        if not isinstance(plan, Located):
            raise InputError(f"plan of '{code}': a mapping with 'why' and 'steps' expected", at)
        values = read_mapping(plan, _plan_fields(code), f"unknown key '{{key}}' in the plan of '{code}' (allowed: "
                              "why, steps, manual, causes)", _fail(name, plan, at))
        if values["manual"] is not None:
            if values["manual"] is not True or values["steps"]:
                raise InputError(f"plan of '{code}': 'manual: true' takes no steps (nothing is written)",
                                 where(name, plan, "manual"))
            book.manual[code] = values["why"]
            continue
        book.verdicts[code] = VerdictPlan(code, values["why"], _steps(values["steps"], where(name, plan, "steps")),
                                          at, _causes(code, values["causes"], plan, name))
    findings = top["findings"] or Located()
    if not isinstance(findings, dict):
        raise InputError("findings: a mapping of finding code -> steps expected", where(name, data, "findings"))
    for code, item in findings.items():
        at = where(name, findings, code)
        if code not in VERDICT_CODES:
            raise InputError(f"'{code}' is not a finding code (spec/verdicts.md)", at)
        if not isinstance(item, Located):
            raise InputError(f"finding '{code}': a mapping with 'steps' and 'if_missing' expected", at)
        values = read_mapping(item, _finding_fields(code), f"unknown key '{{key}}' in finding '{code}' (allowed: "
                              "steps, if_missing)", _fail(name, item))
        book.findings[code] = FindingSteps(code, _steps(values["steps"], where(name, item, "steps")),
                                           values["if_missing"], at)
    book.usb = _usb_plans(data, name)
    if prove:
        from .plan_safety import plan_problems

        problems = plan_problems(book)
        if problems:
            more = f" (and {len(problems) - 1} more: run `vescdoctor rules check`)" if len(problems) > 1 else ""
            raise InputError(f"unsafe fix plan: {problems[0].message}{more}", problems[0].where)
    return book


def _causes(code: str, raw: Any, plan: Located, name: str) -> dict[str, VerdictPlan]:
    """`causes:` of a verdict's plan: verdict node id -> {why, steps} (`rules check` proves each node exists and
    ends on this verdict)."""
    if raw is None:
        return {}
    at = where(name, plan, "causes")
    if not isinstance(raw, Located) or not raw:
        raise InputError(f"plan of '{code}': causes: a mapping of verdict node id -> {{why, steps}} expected", at)
    out: dict[str, VerdictPlan] = {}
    for node, item in raw.items():
        node_at = where(name, raw, node)
        if not isinstance(node, str) or not isinstance(item, Located) or set(item) - {"why", "steps"} \
                or not is_text(item.get("why")):
            raise InputError(f"plan of '{code}': cause '{node}': expected {{why: TEXT, steps: [...]}}", node_at)
        out[node] = VerdictPlan(code, item["why"], _steps(item.get("steps"), where(name, item, "steps")), node_at)
    return out


def _usb_plans(data: Located, name: str) -> dict[str, VerdictPlan]:
    """The `usb:` section: verdict -> {why, steps} with the steps of USB_STEPS."""
    usb = data.get("usb") or Located()
    if not isinstance(usb, dict):
        raise InputError("usb: a mapping of verdict code -> plan expected", where(name, data, "usb"))
    out: dict[str, VerdictPlan] = {}
    for code, plan in usb.items():
        at = where(name, usb, code)
        if code not in VERDICT_CODES:
            raise InputError(f"'{code}' is not a verdict code (spec/verdicts.md)", at)
        if not isinstance(plan, dict) or set(plan) - {"why", "steps"} or not isinstance(plan.get("why"), str):
            raise InputError(f"usb plan of '{code}': expected {{why: TEXT, steps: [...]}}", at)
        steps = plan.get("steps")
        if not isinstance(steps, list) or not steps or any(s not in USB_STEPS for s in steps):
            raise InputError(f"usb plan of '{code}': steps are a list of {', '.join(USB_STEPS)}", at)
        out[code] = VerdictPlan(code, plan["why"], tuple(steps), at)
    return out
