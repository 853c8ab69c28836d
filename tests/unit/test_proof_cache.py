"""The decision graph's proof is cached by the graph's digest (graph.proof_cache): a graph proven sound is not proven
again, in this process or the next CLI run; a changed graph is proven afresh and an unsound one is never cached."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from vescdoctor.errors import InputError
from vescdoctor.graph import check, proof_cache
from vescdoctor.graph.loader import builtin_rules_path
from vescdoctor.graph.proof_cache import proof_dir

REAL = check.check_graph


def test_a_proven_graph_is_not_proven_again_and_a_changed_one_is(tmp_path, monkeypatch):
    monkeypatch.setattr(proof_cache, "_PROVEN", set())  # as a new process: nothing proven in memory yet
    rules = tmp_path / "rules"
    shutil.copytree(builtin_rules_path(), rules)
    check.load_checked_graph(rules)
    assert list(proof_dir().iterdir())
    monkeypatch.setattr(check, "check_graph", lambda *args: pytest.fail("proven again"))
    check.load_checked_graph(rules)
    monkeypatch.setattr(check, "check_graph", REAL)
    triage = rules / "triage.yaml"
    triage.write_text(triage.read_text().replace("next: conclude-usb", "next: nowhere", 1))
    with pytest.raises(InputError, match="not sound"):
        check.load_checked_graph(rules)  # another digest: proven, and refused
    with pytest.raises(InputError, match="not sound"):
        check.load_checked_graph(rules)  # never remembered as sound


def test_the_next_cli_run_does_not_import_networkx_for_a_proven_graph(tmp_path):
    code = ("import sys\nfrom vescdoctor.graph.check import load_checked_graph\nload_checked_graph()\n"
            "print('networkx' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                           env={**__import__("os").environ, "VESCDOCTOR_CACHE_DIR": str(tmp_path)})
            for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], [r.stderr for r in runs]


def test_an_unreadable_cache_is_no_proof_and_no_error(tmp_path, monkeypatch):
    """A cache directory this user may not read (EACCES from is_file) makes the graph be proven again, not fail."""
    monkeypatch.setattr(proof_cache, "_PROVEN", set())

    real_is_file = proof_cache.Path.is_file

    def unreadable(self):
        if "graph-proofs" in self.parts:
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_file(self)
    monkeypatch.setattr(proof_cache.Path, "is_file", unreadable)
    assert proof_cache.known_sound("0" * 64) is False
    check.load_checked_graph(builtin_rules_path())  # proven again, and used
