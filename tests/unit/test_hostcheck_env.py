"""`vescdoctor doctor`'s checks seen through a session's environment (what the TUI's no-probe verdict lists): on the
bench, its own USB bus and ports, without this OS's own checks (they are about the real machine)."""
from __future__ import annotations

import pytest

from vescdoctor.hostcheck import Seen, problems, run_checks
from vescdoctor.probes import host
from vescdoctor.probes.host import Check

from board_support import make


def _problems(tmp_path, scenario):
    from vescdoctor.environment import sim_environment

    with sim_environment(make(tmp_path, scenario)) as env:
        return problems(env)


def test_no_probe_on_the_bench_says_none_is_plugged_in(tmp_path):
    (check,) = _problems(tmp_path, "no-probe")
    assert (check.id, check.status) == ("probe", "warn") and "none plugged in" in check.detail
    assert "ST-Link" in check.fix


@pytest.mark.parametrize("scenario, words, fix", [("port-busy", "busy", "close VESC Tool"),
                                                  ("no-permission", "Permission denied", "dialout")])
def test_a_port_the_bench_refuses_is_a_failed_check_with_its_fix(tmp_path, scenario, words, fix):
    (check,) = _problems(tmp_path, scenario)
    assert (check.id, check.status) == ("vesc-port", "fail") and words in check.detail and fix in check.fix


def test_a_healthy_bench_board_has_no_problem(tmp_path):
    assert _problems(tmp_path, "healthy") == []


def test_fails_come_before_warnings(monkeypatch):
    import vescdoctor.hostcheck as hostcheck

    monkeypatch.setattr(hostcheck, "gather", lambda env: Seen(simulated=True))
    monkeypatch.setattr(hostcheck, "run_checks", lambda seen: [Check("a", "A", "warn", "w"), Check("o", "O", "ok", "o"),
                                                               Check("b", "B", "fail", "f")])
    assert [c.id for c in problems(object())] == ["b", "a"]


def test_the_os_checks_are_left_out_on_the_bench(monkeypatch):
    class OS:
        @staticmethod
        def doctor_checks(ports, probes):
            return [Check("os", "This OS", "fail", "about the real machine")]

    monkeypatch.setattr(host, "current", lambda: OS)
    assert any(c.id == "os" for c in run_checks(Seen()))
    assert not any(c.id == "os" for c in run_checks(Seen(simulated=True)))


def test_the_space_for_backups_is_checked_where_they_go(tmp_path, monkeypatch):
    import vescdoctor.hostcheck as hostcheck
    from vescdoctor.environment import sim_environment

    seen, real = [], hostcheck.run_checks
    monkeypatch.setattr(hostcheck, "run_checks", lambda s: seen.append(s.backup_dir) or real(s))
    with sim_environment(make(tmp_path, "healthy")) as env:
        assert problems(env, tmp_path / "my-backups") == []
    assert seen == [tmp_path / "my-backups"]
