"""Every test: no download from the internet (VESCDOCTOR_OFFLINE), and a cache of its own, never the user's.
The catalog tests that download turn the first off and serve a mirror on 127.0.0.1 (tests/mirror_support.py)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_internet_and_a_private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("VESCDOCTOR_OFFLINE", "1")
    monkeypatch.setenv("VESCDOCTOR_CACHE_DIR", str(tmp_path_factory.mktemp("image-cache")))
    monkeypatch.delenv("VESCDOCTOR_MIRROR", raising=False)
