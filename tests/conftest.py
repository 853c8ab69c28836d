"""Fixtures shared by every test folder (unit, bench, cli, tui, report).

This folder is on sys.path (pytest's rootdir-relative "prepend" import mode), so the helper modules beside this file
(board_support, testdata) import by name from any test folder; each folder's own helpers (tui_support,
report_support) sit in that folder.

Every test: no download from the internet (VESCDOCTOR_OFFLINE), and an image cache of its own, never the user's;
the catalog tests that download turn the first off and serve a mirror on 127.0.0.1 (mirror_support.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from vescdoctor.sim import imagegen


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    """Generated images a fix needs: a bootloader, HW 410 firmware and HW 60 firmware (the wrong one for a 410)."""
    out = {}
    for name, data in (("bl", imagegen.bootloader()), ("fw", imagegen.firmware("410", "5.03", "release5")),
                       ("fw60", imagegen.firmware("60", "5.03", "release5"))):
        out[name] = tmp_path / f"{name}.bin"
        out[name].write_bytes(data)
    return out


@pytest.fixture(autouse=True)
def _no_internet_and_a_private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("VESCDOCTOR_OFFLINE", "1")
    monkeypatch.setenv("VESCDOCTOR_CACHE_DIR", str(tmp_path_factory.mktemp("image-cache")))
    monkeypatch.delenv("VESCDOCTOR_MIRROR", raising=False)
