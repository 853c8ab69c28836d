"""The decision graph's proof (graph.check), remembered by what it proved: a CLI run walks a graph the last run
already proved sound, so it does not prove it again (a check and the import of networkx: about a quarter second).

The key is the graph's own digest (graph.loader, sha256 of its files) together with everything else the proof
depends on: the registered probes and fix steps with the facts each provides, the verdict and question codes, the
checker's own source and vescdoctor's version. Any change of one is another key, proven afresh. Only sound graphs
are remembered: a marker file per key under the cache directory (VESCDOCTOR_CACHE_DIR/graph-proofs when set, else
the user's cache directory from platformdirs), and in memory for this process. A cache that cannot be written only
means the proof runs again next time.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from .model import Graph

LOG = logging.getLogger(__name__)
CACHE_ENV = "VESCDOCTOR_CACHE_DIR"  # as catalog.fetch: the tests' private cache
_PROVEN: set[str] = set()


def proof_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / "graph-proofs"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("vescdoctor")) / "graph-proofs"


def proof_key(graph: Graph, probe_facts: dict[str, tuple[str, ...]], fix_facts: dict[str, tuple[str, ...]]) -> str:
    """The key of a proof of `graph` against these registries (graph.check passes the built-in ones)."""
    from .. import __version__
    from ..knowledge.verdicts import QUESTIONS, VERDICT_CODES

    checker = hashlib.sha256()
    here = Path(__file__).parent
    for path in (here / "check.py", here / "conditions.py", here / "model.py", here / "loader.py",
                 here.parent / "yamlfile.py"):  # what proves the graph, and what builds the Graph it proves
        checker.update(path.read_bytes())
    parts = [graph.digest, sorted(probe_facts.items()), sorted(fix_facts.items()), sorted(VERDICT_CODES),
             QUESTIONS, checker.hexdigest(), __version__]
    return hashlib.sha256(json.dumps(parts, default=sorted, sort_keys=True).encode()).hexdigest()


def known_sound(key: str) -> bool:
    """Proven before, in this process or in the cache; an unreadable cache (EACCES, ...) is no proof: prove again."""
    if key in _PROVEN:
        return True
    try:
        return (proof_dir() / key).is_file()
    except OSError as exc:
        LOG.debug("the graph's proof cache cannot be read (%s)", exc)
        return False


def remember_sound(key: str) -> None:
    _PROVEN.add(key)
    try:
        directory = proof_dir()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / key).touch()
    except OSError as exc:
        LOG.debug("the graph's proof is not cached (%s)", exc)
