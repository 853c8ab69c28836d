"""Probe `vesc.query`: ask the running VESC firmware who it is over its serial port, reading only.

It sends COMM_FW_VERSION, COMM_GET_VALUES and the terminal command "faults", nothing else: requests are built by
vescdoctor.protocol.commands.request(), whose allow-list refuses anything that writes, erases or reboots. Opening
errors and silence become facts, never exceptions. With no VESC port it returns at once.

Facts (every one always set; None where unknown; all JSON-serialisable):
- vesc.port: str | None. The port asked (the first 0483:5740 serial port), None when there is none.
- vesc.port_open: bool | None. It opened (None: no port to open).
- vesc.open_error: "permission" | "busy" | "other" | None. Why it did not open: EACCES/EPERM; EBUSY, an
  exclusive lock held by another program, or Windows' "Access is denied" (a COM port held elsewhere); anything else.
- vesc.open_error_text: str | None. pyserial's message, for the report.
- vesc.answered: bool | None. The firmware answered COMM_FW_VERSION (None: the port never opened).
- vesc.fw_version: str | None. "5.03", as VESC Tool writes it.  vesc.fw_major / vesc.fw_minor: int | None.
- vesc.hw_name: str | None. The HW name the running firmware was built for ("410", "60", ...).
- vesc.uuid: str | None. The chip's 96-bit unique ID as 24 lowercase hex digits (FW >= 3.9).
- vesc.hw_type: "vesc" | "bms" | "custom-module" | "unknown-N" | None (FW >= 5.02).
- vesc.fw_test_version: int | None. 0 for a release, N for beta N (FW >= 5.00).
- vesc.fw_name: str | None. The build's name (FW >= 6.00; "" for plain releases).
- vesc.fault_code: int | None. mc_interface_get_fault() from COMM_GET_VALUES (0 = none).
- vesc.fault_name: str | None. E.g. "FAULT_CODE_NONE".
- vesc.input_voltage: float | None. Input voltage from COMM_GET_VALUES (V).
- vesc.faults_logged: bool | None. The terminal's "faults" says faults were registered since startup.
- vesc.faults_text: str | None. That terminal output.
"""
from __future__ import annotations

import errno
import time
from typing import Any

from ..knowledge.other_images import third_party
from ..knowledge.usb_ids import VESC_CDC
from ..protocol import packet
from ..protocol.commands import (
    Command,
    ReplyError,
    fault_name,
    fw_version_request,
    get_values_request,
    parse_fw_version,
    parse_get_values,
    parse_print,
    terminal_request,
)
from .base import ProbeContext, ProbeResult, probe

FACTS = (
    "vesc.port", "vesc.port_open", "vesc.open_error", "vesc.open_error_text", "vesc.answered", "vesc.fw_version",
    "vesc.fw_major", "vesc.fw_minor", "vesc.hw_name", "vesc.uuid", "vesc.hw_type", "vesc.fw_test_version",
    "vesc.fw_name", "vesc.fault_code", "vesc.fault_name", "vesc.input_voltage", "vesc.faults_logged",
    "vesc.faults_text",
)

# A VESC answers in about a millisecond over USB; these bound a diagnosis when it does not.
REPLY_TIMEOUT = 0.4  # per attempt
ATTEMPTS = 2  # the first request after opening can be lost while the CDC line settles
PRINT_QUIET = 0.1  # terminal output is several COMM_PRINT packets: read until the line is quiet this long
PRINT_TIMEOUT = 0.6
READ_POLL = 0.02  # the port's read timeout: how often the reply loops look at the clock

_BUSY = {errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK}
_PERMISSION = {errno.EACCES, errno.EPERM}
_WIN_ACCESS_DENIED = 5  # ERROR_ACCESS_DENIED (winerror.h)


def classify_open_error(exc: BaseException) -> str:
    """permission | busy | other, from what pyserial raised on open.

    On Windows serialwin32 raises SerialException("could not open port 'COM7': PermissionError(13, 'Access is
    denied.', None, 5)"): errno None, winerror 5 in the text only. A COM port has no per-user permission, so that
    is a port another program holds (VESC Tool opens it exclusively): busy, not permission."""
    code = getattr(exc, "errno", None)
    if getattr(exc, "winerror", None) == _WIN_ACCESS_DENIED or "Access is denied" in str(exc):
        return "busy"
    if code in _PERMISSION:
        return "permission"
    if code in _BUSY or "exclusively lock" in str(exc):
        return "busy"
    return "other"


class _Link:
    """Request / reply over an open port, frames decoded as they come."""

    def __init__(self, port):
        self.port = port
        self.decoder = packet.Decoder()

    def _read_some(self) -> list[bytes]:
        data = self.port.read(self.port.in_waiting or 1)  # waits at most the port's timeout (READ_POLL)
        if not data:
            return self.decoder.expire() if self.decoder.pending() else []
        return self.decoder.feed(data)

    def ask(self, request: bytes, reply_command: int) -> bytes | None:
        """Send `request`; the first reply of `reply_command`, or None after every attempt timed out."""
        for _ in range(ATTEMPTS):
            self.port.write(packet.encode(request))
            deadline = time.monotonic() + REPLY_TIMEOUT
            while time.monotonic() < deadline:
                for payload in self._read_some():
                    if payload[0] == reply_command:
                        return payload
        return None

    def terminal(self, line: str) -> str | None:
        """The text the terminal prints for `line` (several COMM_PRINT packets), None when it prints nothing."""
        self.port.write(packet.encode(terminal_request(line)))
        texts: list[str] = []
        end = time.monotonic() + PRINT_TIMEOUT
        quiet_since = time.monotonic()
        while time.monotonic() < end:
            got = [p for p in self._read_some() if p[0] == Command.PRINT]
            if got:
                texts += [parse_print(p) for p in got]
                quiet_since = time.monotonic()
            elif texts and time.monotonic() - quiet_since >= PRINT_QUIET:
                break
        return "\n".join(t.rstrip("\n") for t in texts) if texts else None


@probe("vesc.query", provides=FACTS, title="Asking the VESC firmware over USB")
def query(ctx: ProbeContext) -> ProbeResult:
    env = ctx.env
    facts: dict[str, Any] = dict.fromkeys(FACTS)
    ports = [p for p in env.serial_ports() if (p.vid, p.pid) == VESC_CDC]
    if not ports:
        return ProbeResult(facts, ["VESC: no VESC serial port to ask"])
    device = facts["vesc.port"] = ports[0].device
    try:
        port = env.open_serial(device, baudrate=115200, timeout=READ_POLL, write_timeout=0.5, exclusive=True)
    except Exception as exc:  # pyserial raises SerialException, OSError or ValueError depending on the platform
        kind = classify_open_error(exc)
        facts.update({"vesc.port_open": False, "vesc.open_error": kind, "vesc.open_error_text": str(exc)})
        why = {"permission": "permission denied", "busy": "another program holds it"}.get(kind, str(exc))
        return ProbeResult(facts, [f"VESC: cannot open {device}: {why}"])
    facts["vesc.port_open"] = True
    try:
        port.reset_input_buffer()
        lines = _converse(_Link(port), facts)
    except Exception as exc:  # a port that vanishes mid-conversation (board reset, cable pulled)
        facts["vesc.answered"] = bool(facts["vesc.answered"])
        return ProbeResult(facts, [f"VESC: the conversation on {device} broke off: {exc}"], ok=False,
                           error=f"serial I/O failed on {device}: {exc}")
    finally:
        try:
            port.close()
        except Exception:
            pass
    return ProbeResult(facts, lines)


def _converse(link: _Link, facts: dict[str, Any]) -> list[str]:
    device = facts["vesc.port"]
    reply = link.ask(fw_version_request(), Command.FW_VERSION)
    try:
        fw = parse_fw_version(reply) if reply else None
    except ReplyError:
        fw = None
    facts["vesc.answered"] = fw is not None
    if fw is None:
        return [f"VESC: {device} opened but the firmware did not answer"]
    facts.update({"vesc.fw_version": fw.version, "vesc.fw_major": fw.major, "vesc.fw_minor": fw.minor,
                  "vesc.hw_name": fw.hw_name, "vesc.uuid": fw.uuid_hex, "vesc.hw_type": fw.hw_type,
                  "vesc.fw_test_version": fw.test_version, "vesc.fw_name": fw.fw_name})
    beta = f" (beta {fw.test_version})" if fw.test_version else ""
    lines = [f"VESC replied: FW {fw.version}{beta}, HW {fw.hw_name or 'not reported'}"]
    other = third_party(fw.version, fw.hw_name)
    if other:
        lines.append("VESC: " + other.note())

    reply = link.ask(get_values_request(), Command.GET_VALUES)
    try:
        values = parse_get_values(reply) if reply else {}
    except ReplyError:
        values = {}
    if "fault_code" in values:
        code = int(values["fault_code"])
        name = fault_name(code, fw.version)
        facts.update({"vesc.fault_code": code, "vesc.fault_name": name})
        lines.append("VESC: no active fault" if code == 0 else f"VESC: active fault {name} ({code})")
    else:
        lines.append("VESC: no fault code in its values reply")
    if "v_in" in values:
        facts["vesc.input_voltage"] = round(float(values["v_in"]), 1)

    text = link.terminal("faults")
    if text is not None:
        facts["vesc.faults_text"] = text
        facts["vesc.faults_logged"] = "no faults registered" not in text.lower()
        if facts["vesc.faults_logged"]:
            lines.append("VESC: faults were registered since startup (see the report)")
    return lines
