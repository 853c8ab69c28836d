"""Shared by the tests/test_report*.py files: the forum case walked through a small graph, as a real session."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from vescdoctor.graph.loader import load_graph
from vescdoctor.graph.session import TriageSession, run_session
from vescdoctor.probes.base import ProbeResult
from vescdoctor.report import Identity, build_report

from testdata import GRAPHS_DIR

FORUM_GRAPH = GRAPHS_DIR / "report_forum.yaml"
UID = "0032003F3438510B32383838"
# Someone else's computer: the names redaction must remove.
ALICE = Identity(homes=("/home/alice",), users=("alice",), hosts=("alice-laptop.lan", "alice-laptop"))
NOW = datetime(2026, 11, 23, 19, 31, 5, tzinfo=timezone.utc)


def forum_probes() -> dict[str, ProbeResult]:
    return {
        "usb.scan": ProbeResult({"usb.vesc_present": False, "usb.devices": ["0483:3748"]},
                                ["ST-Link/V2 0483:3748 on bus 1", "no VESC (0483:5740) on USB"]),
        "swd.connect": ProbeResult({"swd.connected": True, "chip.uid": UID, "swd.rdp_level": 0,
                                    "swd.optcr": 0x0FFFAAED},
                                   [f"STM32F405 DEV_ID 0x413, UID {UID}", "pyOCD log in /home/alice/.cache/pyocd.log",
                                    "user alice on alice-laptop"]),
        "flash.map": ProbeResult({"flash.app_runnable": False, "flash.bootloader_present": False,
                                  "flash.reset_vector": 0xFFFFFFFF},
                                 ["0x08000000: erased", "0x080E0000: 00 00 00 00 ... (no vector table)"]),
    }


def forum_session(graph_path: Path = FORUM_GRAPH, answers: dict | None = None):
    """The session result of the forum case (static blue, no USB, app and bootloader gone)."""
    graph = load_graph(graph_path)
    probes = forum_probes()
    session = TriageSession(graph, answers=answers if answers is not None else {"led": "blue-only"})
    return run_session(session, run_probe=lambda node: probes[node.action], ask=lambda node: "no-usb")


def forum_report(**kw) -> dict:
    """A diagnose report of the forum case, redacted as if made on alice's laptop."""
    args = dict(env_summary={"simulated": True, "sim_board": "/home/alice/boards/bricked", "probe": "stlink-v2"},
                flash_map={0: "blank", 3: "blank", 11: "data"}, identity=ALICE, now=NOW)
    args.update(kw)
    return build_report(forum_session(), **args)


def fix_report(**kw) -> dict:
    """The same case after a fix: plan, actions and a backup under alice's home."""
    backup = {"file": "/home/alice/.local/share/vescdoctor/backup-0032.bin", "sha256": "ab" * 32, "size": 1048576}
    return forum_report(command="fix", backups=[backup],
                        plan=[{"step": "backup", "title": "Save flash and option bytes"},
                              {"step": "write-bootloader", "title": "Bootloader to 0x080E0000", "destructive": True}],
                        actions=[{"step": "backup", "ok": True, "file": backup["file"], "seconds": 9.3},
                                 {"step": "write-bootloader", "ok": False, "error": "WRPERR on sector 11"}], **kw)
