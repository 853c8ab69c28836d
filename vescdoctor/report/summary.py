"""Where the board is now, what was done, what is left: the head of every rendering and `report show --summary`.

A report after a repair leads with the verdict of the fresh look (`after`), not the first diagnosis; a repair that
did not complete says so first; a diagnosis alone leads with its verdict. Everything here returns plain text (from a
report someone else may have written, cleaned of control characters); each renderer escapes it for its format.
"""
from __future__ import annotations

from ..knowledge.verdicts import TITLES
from . import text
from .words import fact_words

SUMMARY_MAX_LINES = 39
_STEP_WORDS = {
    "backup": "Backed up", "write-bootloader": "Wrote the bootloader", "write-firmware": "Wrote the firmware",
    "reset": "Reset the chip", "reprobe": "Looked again", "restore-config": "Restored the configuration",
    "unlock-rdp": "Lifted the read protection", "clear-wrp": "Cleared the write protection",
    "erase-all": "Erased the whole chip",
}


def _c(s: object, limit: int = 300) -> str:
    return text.clip(text.clean(s, single_line=True), limit)


def _after(report: dict) -> dict | None:
    after = report.get("after")
    return after if isinstance(after, dict) and after.get("verdict") else None


def state(report: dict) -> str:
    """repaired | fix-incomplete | diagnosed | no-verdict"""
    if _after(report) is not None:
        return "repaired"
    if report.get("actions"):
        return "fix-incomplete"
    return "diagnosed" if report.get("verdict") else "no-verdict"


def now_verdict(report: dict) -> tuple[str, str]:
    """(code, title) of the board as it is now: the fresh look after a repair, else the diagnosis."""
    after = _after(report)
    if after is not None:
        code = _c(after["verdict"], 80)
        return code, TITLES.get(code, code)
    verdict = report.get("verdict")
    if not verdict:
        return "", "no verdict reached"
    return _c(verdict.get("code"), 80), _c(verdict.get("title") or verdict.get("code"))


def title(report: dict) -> str:
    """The one title every rendering uses (Markdown #, HTML <title> and <h1>)."""
    code, words = now_verdict(report)
    kind = state(report)
    if kind == "repaired":
        return f"{words} (after the repair)" if code == "healthy" else f"{words} (still, after the repair)"
    if kind == "fix-incomplete":
        return f"The repair did not complete: {words}"
    return words


def done_lines(report: dict) -> list[str]:
    """What the repair did, one sentence per step, in order."""
    out = []
    for a in report.get("actions") or ():
        step = _c(a.get("step"), 80)
        verb = _STEP_WORDS.get(step, step.replace("-", " ").capitalize())
        how = text.action_state(a)
        detail = _c(a.get("detail") or "", 200)
        if how == "ok":
            out.append(f"{verb}" + (f": {detail}" if detail else ""))
        elif how == "stopped":
            out.append(f"Step {step}: stopped by the user before it started; nothing half-written")
        else:
            out.append(f"Step {step} FAILED: {_c(a.get('error') or 'no reason recorded', 200)}")
    return out


def left_lines(report: dict) -> list[str]:
    """What is left for the rider: nothing, the next steps of the verdict, or what the fresh look still found."""
    kind = state(report)
    after = _after(report)
    if after is not None:
        rest = [f for f in after.get("findings") or () if f != after["verdict"] and f != "healthy"]
        if after["verdict"] == "healthy" and not rest:
            return ["Nothing: the board is healthy. Connect VESC Tool over USB to check the motor configuration."]
        if after["verdict"] == "healthy":
            return [f"Still noted: {', '.join(_c(f, 80) for f in rest)}"]
        return [f"The board still shows: {TITLES.get(after['verdict'], _c(after['verdict'], 80))}; run vescdoctor "
                "again and send this report to a helper."]
    steps = [_c(s) for s in ((report.get("verdict") or {}).get("next_steps") or ())]
    if kind == "fix-incomplete":
        return ["Run vescdoctor again: it recognises what the chip holds and finishes the job; the backup is kept."] \
            + steps[:3]
    return steps or (["Nothing to do."] if (report.get("verdict") or {}).get("code") == "healthy" else [])


def lead_lines(report: dict) -> list[str]:
    """The first lines under the title: where the board is now, what was done, the first diagnosis."""
    code, words = now_verdict(report)
    kind = state(report)
    first = report.get("verdict") or {}
    if kind == "fix-incomplete":  # nothing looked at the board after the step that failed
        out = ["Now: not known - the repair stopped before vescdoctor looked at the board again"]
    else:
        out = [f"Now: {code} - {words}" if code else f"Now: {words}"]
    if kind in ("repaired", "fix-incomplete"):
        ok = sum(text.action_state(a) == "ok" for a in report.get("actions") or ())
        out.append(f"Done: {ok} of {len(report.get('actions') or ())} repair steps completed"
                   + ("" if kind == "repaired" else " (the repair did not complete)"))
        out.append(f"Before the repair: {_c(first.get('code'), 80)} - {_c(first.get('title'))}")
    findings = [f for f in report.get("findings") or () if f != first.get("code")]
    if findings:
        out.append("Also found at first: " + ", ".join(_c(f, 80) for f in findings))
    return out


def board_line(report: dict) -> str:
    """The board in one line: chip, what the firmware says, the probe (facts in words)."""
    facts, target = report.get("facts") or {}, report.get("target") or {}
    parts = [f"simulated ({_c(target.get('sim_board'), 80)})" if target.get("simulated") else "real hardware"]
    for name in ("swd.idcode", "vesc.hw_name", "flash.app_hw", "vesc.fw_version", "swd.probe"):
        value = facts.get(name)
        if value is not None:
            label, words = fact_words(name, value)
            parts.append(_c(words if name == "swd.idcode" else f"{label} {words}", 120))
    hw = (report.get("answers") or {}).get("hw")
    if hw:
        parts.append(f"HW (answered) {_c(hw, 40)}")
    return "; ".join(parts)


def summary_text(report: dict) -> str:
    """`report show --summary`: a short plain-text block to paste into a forum post (under 40 lines)."""
    out = [f"vescdoctor: {title(report)}", "", *lead_lines(report), f"Board: {board_line(report)}"]
    done = done_lines(report)
    if done:
        out += ["", "What was done:", *(f"  - {line}" for line in done[:10])]
    left = left_lines(report)
    if left:
        out += ["", "What is left:", *(f"  - {line}" for line in left[:5])]
    if report.get("backups"):
        out.append(f"Backup: {_c(report['backups'][0].get('file'), 200)}")
    tool = report.get("tool") or {}
    out += ["", f"(vescdoctor {_c(tool.get('version'), 40)}, {_c(report.get('command'), 40)}, "
                f"{_c(report.get('created'), 40)}; the full report: vescdoctor report show FILE)"]
    out = [text.clip(line, 300) for line in out]
    if len(out) > SUMMARY_MAX_LINES:
        out = out[:SUMMARY_MAX_LINES - 1] + ["(more in the full report)"]
    return "\n".join(out) + "\n"
