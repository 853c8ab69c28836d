"""`vescdoctor fix --sim B --yes` with no image argument and no probe: the catalog's bootloader, over USB."""
from __future__ import annotations

import pytest

from board_support import fix, flash, make
from mirror_support import MirrorServer, generated_images, write_catalog, write_mirror

pytestmark = pytest.mark.slow


def test_healthy_board_without_probe_gets_the_catalogs_bootloader_over_usb(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("VESCDOCTOR_OFFLINE", raising=False)  # conftest sets it; the mirror is on 127.0.0.1
    items = generated_images()
    monkeypatch.setenv("VESCDOCTOR_CATALOG", str(write_catalog(tmp_path / "catalog.json", items)))
    bl = next(d for r, d in items if r["kind"] == "bootloader" and r["hw_dir"].startswith("40_o_"))
    board = make(tmp_path, "usb-no-bootloader")
    before = flash(board)
    with MirrorServer(write_mirror(tmp_path / "mirror", items)) as server:
        assert fix(board, tmp_path, "--yes", "--mirror", server.url) == 0, capsys.readouterr().err
    after = flash(board)
    assert after[0xE0000:0xE0000 + len(bl)] == bl and after[:0xE0000] == before[:0xE0000]
