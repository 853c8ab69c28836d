"""tools/make_catalog.py on small git repositories laid out as vesc_fw_archive and vesc_tool are: every build in
the history, URLs pinned to the newest commit holding each, other chips left out, blobs read from git only."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vescdoctor.sim import imagegen

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_catalog.py"
pytestmark = [pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
              pytest.mark.slow]  # git repositories made and read: a few seconds


def load_tool():
    spec = importlib.util.spec_from_file_location("make_catalog", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def git(repo: Path, *args: str) -> str:
    when = "2026-01-01T00:00:00"
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "PATH": os.environ.get("PATH", ""),
           "HOME": str(repo.parent)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def commit(repo: Path, files: dict[str, bytes | None], message: str) -> str:
    for path, data in files.items():
        target = repo / path
        if data is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repos(tmp_path):
    archive, tool = tmp_path / "vesc_fw_archive", tmp_path / "vesc_tool"
    for repo in (archive, tool):
        repo.mkdir()
        git(repo, "init", "-q")
    old = imagegen.firmware("410", "5.02", "release5", seed=1)
    first = commit(archive, {"5.02/410_o_411_o_412/VESC_default.bin": old,
                             "5.02/60/VESC_default.bin": imagegen.firmware("60", "5.02", "release5")}, "5.02")
    new = imagegen.firmware("410", "5.02", "release5", seed=2)  # 5.02 rebuilt later: both builds are kept
    esp = b"\xe9\x03\x02\x20" + bytes(4000)  # an ESP32 image header: no ARM vector table
    last = commit(archive, {"5.02/410_o_411_o_412/VESC_default.bin": new,
                            "7.00/Duet XS60/VESC_default.bin": imagegen.firmware("Duet XS60", "7.00", "release6"),
                            "7.00/ESP_THING/VESC_default.bin": esp, "7.00/CHANGELOG": b"notes"}, "7.00")
    bl_old = imagegen.bootloader(compression=False, seed=3)
    commit(tool, {"res/bootloaders/60.bin": bl_old, "res/firmwares/410_o_411_o_412/VESC_default.bin": old}, "v1")
    bl_new = imagegen.bootloader(compression=True, seed=4)
    tool_head = commit(tool, {"res/bootloaders/60.bin": None, "res/bootloaders/60_o_75_300.bin": bl_old,
                              "res/bootloaders/generic.bin": bl_new,
                              "res/bootloaders_custom_module/stm32g431.bin": b"\x00\x80\x00\x20\x01\x00\x00\x08"},
                       "v2")
    return {"archive": archive, "tool": tool, "first": first, "last": last, "tool_head": tool_head,
            "old": old, "new": new, "bl_old": bl_old}


def test_the_generator_reads_every_build_and_leaves_other_chips_out(repos, tmp_path, capsys):
    out = tmp_path / "catalog.json"
    assert load_tool().main(["--archive", str(repos["archive"] / ".git"), "--vesc-tool", str(repos["tool"] / ".git"),
                             "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["sources"] == {"vesc_fw_archive": repos["last"], "vesc_tool": repos["tool_head"]}
    fw = [r for r in doc["images"] if r["kind"] == "firmware"]
    by_path = {(r["version"], r["hw_dir"], r["current"]): r for r in fw}
    assert set(by_path) == {("5.02", "410_o_411_o_412", True), ("5.02", "410_o_411_o_412", False),
                            ("5.02", "60", True), ("7.00", "Duet XS60", True)}  # no ESP32, no CHANGELOG
    replaced = by_path[("5.02", "410_o_411_o_412", False)]
    assert f"/vesc_fw_archive/{repos['first']}/5.02/410_o_411_o_412/VESC_default.bin" in replaced["url"]
    assert by_path[("5.02", "410_o_411_o_412", True)]["hw"] == ["410", "411", "412"]
    assert by_path[("5.02", "410_o_411_o_412", True)]["hw_name"] == "410"
    assert by_path[("7.00", "Duet XS60", True)]["url"].endswith("/7.00/Duet%20XS60/VESC_default.bin")
    assert by_path[("7.00", "Duet XS60", True)]["crc"] == {"app_size": 524280, "flag_offset": 524272,
                                                          "crc_offset": 524276}
    # the vesc_tool copy of an archived build is listed once, from the archive
    assert sum(r["sha256"] == replaced["sha256"] for r in doc["images"]) == 1
    boots = {r["file"]: r for r in doc["images"] if r["kind"] == "bootloader"}
    assert set(boots) == {"60_o_75_300.bin", "generic.bin"}  # one image under two names; no STM32G4 module
    assert boots["60_o_75_300.bin"]["hw"] == ["60", "75_300"] and boots["generic.bin"]["hw"] == []
    assert "not an STM32F4 VESC image: 1" in capsys.readouterr().err
