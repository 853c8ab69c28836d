"""Redaction: a report written for a forum never holds the home path, the user's or the computer's name, or the
full board UID (unless asked)."""
from __future__ import annotations

import getpass
import os
import socket

from vescdoctor.report import Identity, redact_report, write_report
from vescdoctor.report.redact import shorten_uid

from report_support import ALICE, UID, fix_report, forum_report


def test_written_file_holds_no_home_path_user_or_host_name(tmp_path):
    path = write_report(fix_report(redact=False), tmp_path / "r.json", identity=ALICE)
    text = path.read_text()
    for secret in ("/home/alice", "alice", "alice-laptop", UID):
        assert secret not in text, secret
    assert "~/.cache/pyocd.log" in text and "user <user> on <host>" in text
    assert "~/.local/share/vescdoctor/backup-0032.bin" in text  # still useful: the helper sees where it is


def test_report_says_what_was_redacted():
    r = fix_report()["redaction"]
    assert r["applied"] is True and r["board_uid"] == "shortened"
    assert r["replaced"]["home-path"] >= 3 and r["replaced"]["user-name"] == 1 and r["replaced"]["host-name"] == 1
    assert r["replaced"]["board-uid"] >= 2  # the fact and the transcript line


def test_uid_shortened_everywhere_or_kept_when_asked():
    short = forum_report()
    assert short["facts"]["chip.uid"] == "0032...3838" == shorten_uid(UID)
    assert short["probes"][1]["transcript"][0].endswith("UID 0032...3838")
    kept = forum_report(keep_uid=True)
    assert kept["facts"]["chip.uid"] == UID and kept["redaction"]["board_uid"] == "kept"
    assert "alice" not in str(kept)


def test_other_peoples_homes_are_redacted_too():
    r = redact_report({"facts": {"a": "/home/bob/fw.bin", "b": "C:\\Users\\Carol\\fw.bin", "c": "/Users/dave/x"}},
                      identity=Identity())
    assert r["facts"] == {"a": "~/fw.bin", "b": "~\\fw.bin", "c": "~/x"}
    assert r["redaction"]["board_uid"] == "none-found"


def test_codes_and_node_ids_are_never_rewritten_even_if_they_match_a_user_name():
    probe_user = Identity(users=("usb", "swd"), hosts=("flash",))
    r = forum_report(identity=probe_user)
    assert [s["node"] for s in r["path"]][2:5] == ["usb", "swd", "flash"]
    assert [p["name"] for p in r["probes"]] == ["usb.scan", "swd.connect", "flash.map"]


def test_the_current_identity_is_found_and_removed():
    me = Identity.current()
    assert os.path.expanduser("~") in me.homes
    report = {"facts": {"where": os.path.expanduser("~/boards/x"), "who": f"{getpass.getuser()} at "
                                                                          f"{socket.gethostname()}"}}
    out = redact_report(report)
    assert out["facts"]["where"] == "~/boards/x"
    if len(getpass.getuser()) >= 2:
        assert getpass.getuser() not in out["facts"]["who"].split()
    assert socket.gethostname() not in out["facts"]["who"] or socket.gethostname() == "localhost"


def test_debug_probe_serial_is_shortened_too():
    r = forum_report(env_summary={"simulated": False, "probe": "stlink:066DFF485550755187121723"})
    assert r["target"]["probe"] == "stlink:066D...1723"
    assert "066DFF485550755187121723" not in str(r)


def test_serial_numbers_nested_in_facts_are_shortened_but_the_vesc_serial_stays():
    from vescdoctor.report import build_report

    from report_support import forum_session
    result = forum_session()
    result.facts["usb.debug_probes"] = [{"name": "ST-Link/V2", "serial": "7FE33FAE73015BCC8E36C68E"}]
    result.facts["usb.vesc_usb_serial"] = "304"
    r = build_report(result, identity=ALICE)
    assert r["facts"]["usb.debug_probes"][0]["serial"] == "7FE3...C68E"
    assert r["facts"]["usb.vesc_usb_serial"] == "304"
