"""Redaction: what must not leave the user's computer in a report they post on a forum.

Home directories become `~`, the user's and the computer's names become `<user>` and `<host>`, and the board's
96-bit unique ID (and the debug probe's serial number) is shortened to its first and last four hex digits (enough
for a helper to tell two boards apart) unless the user keeps it. The report records what was replaced, so a helper
knows why a path reads `~/...`.
"""
from __future__ import annotations

import getpass
import os
import re
import socket
from dataclasses import dataclass
from typing import Any

USER_MARK, HOST_MARK = "<user>", "<host>"

# Anyone's home, not only this user's: a backup made on another machine may be named in a report.
_FOREIGN_HOMES = re.compile(r"(?:/home/|/Users/|[A-Za-z]:\\Users\\|[A-Za-z]:/Users/)[^/\\\s\"'<>|]+")
# Facts (and keys inside them) that hold a unique ID: swd.uid, vesc.uuid, swd.probe_uid, a USB serial number ...
_UID_FACT = re.compile(r"(?:^|[._-])(?:uid|uuid|unique_id|serial)$", re.IGNORECASE)
# Codes, node ids and names from the graph: never rewritten (a user called "probe" must not rename a node).
_CODE_FIELDS = {("format",), ("created",), ("command",), ("verdict", "code"), ("findings", "*"),
                ("path", "*", "node"), ("path", "*", "kind"), ("path", "*", "outcome"), ("probes", "*", "name"),
                ("flash_map", "*", "role"), ("flash_map", "*", "state"), ("actions", "*", "step"),
                ("plan", "*", "step"), ("graph", "id"), ("graph", "digest"), ("tool", "name"),
                ("tool", "version"), ("backup", "sha256"), ("backups", "*", "sha256")}


@dataclass(frozen=True)
class Identity:
    """Who and where the report was made: what redaction removes."""

    homes: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()

    @classmethod
    def current(cls) -> Identity:
        homes = {os.path.expanduser("~"), os.environ.get("HOME", "")}
        users = {os.environ.get(k, "") for k in ("USER", "LOGNAME", "USERNAME")}
        try:
            users.add(getpass.getuser())
        except Exception:  # no passwd entry (containers): the environment names are all we have
            pass
        hosts = {socket.gethostname(), os.uname().nodename if hasattr(os, "uname") else ""}
        hosts |= {h.split(".")[0] for h in hosts}
        return cls(homes=_clean(homes, 2), users=_clean(users, 2), hosts=_clean(hosts - {"localhost"}, 2))


def _clean(names: set[str], min_len: int) -> tuple[str, ...]:
    # Longest first, so "alice-laptop" goes before "alice".
    return tuple(sorted({n for n in names if n and len(n) >= min_len and n != "/"}, key=len, reverse=True))


def shorten_uid(uid: str) -> str:
    """`0032003F3438510B32383838` -> `0032...3838`: hex digits only, first and last four; a probe id keeps its
    kind (`stlink:066DFF...` -> `stlink:066D...1723`)."""
    prefix, sep, rest = uid.rpartition(":")
    digits = re.sub(r"[^0-9A-Fa-f]", "", rest)
    short = f"{digits[:4]}...{digits[-4:]}" if len(digits) > 8 else digits
    return f"{prefix}{sep}{short}"


class _Redactor:
    def __init__(self, identity: Identity, keep_uid: bool, uids: dict[str, str]):
        self.counts = {"home-path": 0, "user-name": 0, "host-name": 0, "board-uid": 0}
        home_alts = "|".join(re.escape(h.rstrip("/\\")) for h in identity.homes if h.rstrip("/\\"))
        self.home = re.compile(rf"(?:{home_alts})(?=[/\\]|$|[^A-Za-z0-9_.-])") if home_alts else None
        # One pattern, longest name first: host "alice-laptop" must go whole, before user "alice" could match in it.
        self.marks = {**{u: ("user-name", USER_MARK) for u in identity.users},
                      **{h: ("host-name", HOST_MARK) for h in identity.hosts}}
        self.names = _word_pattern(tuple(sorted(self.marks, key=len, reverse=True)))
        self.uids = None if keep_uid or not uids else re.compile("|".join(re.escape(u) for u in uids))
        self.uid_map = uids

    def text(self, s: str, is_code: bool) -> str:
        s = self._sub(self.home, "~", s, "home-path")
        s = self._sub(_FOREIGN_HOMES, "~", s, "home-path")
        if self.uids is not None:
            s = self._sub(self.uids, lambda m: self.uid_map[m.group(0)], s, "board-uid")
        if not is_code and self.names is not None:
            s = self.names.sub(self._name, s)
        return s

    def _name(self, match: re.Match) -> str:
        what, mark = self.marks[match.group(0)]
        self.counts[what] += 1
        return mark

    def _sub(self, pattern: re.Pattern | None, repl: Any, s: str, what: str) -> str:
        if pattern is None:
            return s
        s, n = pattern.subn(repl, s)
        self.counts[what] += n
        return s


def _word_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    if not names:
        return None
    # A name ends where letters end: `alice_fw_410.bin` and `fw-alice2` hold the name too (issue 12, item 9); only a
    # longer word (`malice`, `alicent`) is another word.
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z])")


def _find_uids(report: dict) -> dict[str, str]:
    """Every unique-ID value in the facts (top level and per probe), mapped to its short form."""
    found: dict[str, str] = {}
    # The debug probe's serial number (pyOCD's unique id) identifies the user's probe the same way.
    fact_sets = [report.get("facts") or {}, {"probe.uid": (report.get("target") or {}).get("probe")}]
    fact_sets += [p.get("facts") or {} for p in report.get("probes") or [] if isinstance(p, dict)]
    stack: list[Any] = list(fact_sets)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        if not isinstance(item, dict):
            continue
        for name, value in item.items():
            if isinstance(value, (dict, list)):
                stack.append(value)
            elif isinstance(value, str) and _UID_FACT.search(name):
                digits = re.sub(r"[^0-9A-Fa-f]", "", value.rpartition(":")[2])
                if len(digits) > 8:  # a VESC's USB serial "304" is the same on every VESC: nothing to hide
                    short = shorten_uid(value)
                    found[value] = short
                    found.setdefault(digits.upper(), short.rpartition(":")[2])
                    found.setdefault(digits.lower(), short.rpartition(":")[2])
    return found


def redact_report(report: dict, *, keep_uid: bool = False, identity: Identity | None = None) -> dict:
    """A copy of `report` with home paths, user and host names (and, unless `keep_uid`, the board UID) replaced,
    and a `redaction` entry saying what was done."""
    identity = identity if identity is not None else Identity.current()
    uids = _find_uids(report)
    redactor = _Redactor(identity, keep_uid, uids)
    out = _walk(report, (), redactor)
    out["redaction"] = {
        "applied": True,
        "board_uid": "none-found" if not uids else "kept" if keep_uid else "shortened",
        "replaced": redactor.counts,
    }
    return out


def _walk(value: Any, where: tuple, r: _Redactor) -> Any:
    if isinstance(value, str):
        return r.text(value, _is_code(where))
    if isinstance(value, dict):
        return {k: _walk(v, where + (k,), r) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, where + ("*",), r) for v in value]
    return value


def _is_code(where: tuple) -> bool:
    return where in _CODE_FIELDS or (len(where) == 2 and where[0] == "answers") or where[:1] == ("redaction",)
