"""The catalog of official images (knowledge/catalog.json), `firmware list/get` against a mirror served on
127.0.0.1, `inspect` naming releases, and `fix` taking the catalog's images. No test touches the internet."""
from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path

import pytest

from vescdoctor.catalog import releases
from vescdoctor.cli import main

from board_support import make
from mirror_support import MirrorServer, generated_images, real_mirror, write_catalog, write_mirror
from testdata import FIRMWARE_DIR, SCENARIOS_DIR, needs_firmware

URL = re.compile(r"^https://raw\.githubusercontent\.com/vedderb/(vesc_fw_archive|vesc_tool)/[0-9a-f]{40}/\S+$")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A cache of our own, no mirror from the environment, the real catalog."""
    monkeypatch.setenv("VESCDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VESCDOCTOR_MIRROR", raising=False)
    monkeypatch.delenv("VESCDOCTOR_CATALOG", raising=False)
    monkeypatch.delenv("VESCDOCTOR_OFFLINE", raising=False)  # conftest sets it: these tests serve a local mirror
    return tmp_path / "cache"


@pytest.fixture
def generated(tmp_path, monkeypatch, cache):
    """The test catalog of generated images, their mirror folder, and the cache."""
    items = generated_images()
    monkeypatch.setenv("VESCDOCTOR_CATALOG", str(write_catalog(tmp_path / "catalog.json", items)))
    root = write_mirror(tmp_path / "mirror", items)
    return {"items": items, "root": root, "cache": cache,
            "by_version": {r["version"]: (r, d) for r, d in items if r["kind"] == "firmware"
                           and r["hw_dir"].startswith("410")}}


def cached_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []


# --- the real catalog -------------------------------------------------------------------------------------------
def test_the_catalog_holds_every_image_once_with_a_pinned_url_and_its_layout(cache):
    images = releases.all_releases()
    fw = [r for r in images if r.kind == "firmware"]
    boot = [r for r in images if r.kind == "bootloader"]
    assert len(fw) > 2000 and len(boot) == 11
    assert len({r.sha256 for r in images}) == len(images)
    for r in images:
        assert URL.match(r.url), r.url
        assert re.fullmatch(r"[0-9a-f]{64}", r.sha256) and r.size > 0
        assert list(r.hw) == ([] if r.hw_dir == "generic" else [p for p in r.hw_dir.split("_o_") if p]) \
            or r.kind == "bootloader"
    for r in fw:
        assert r.version and re.fullmatch(r"\d\.\d\d", r.version)
        if r.size in (393208, 524280):
            assert r.crc == {"app_size": r.size, "flag_offset": r.size - 8, "crc_offset": r.size - 4}
    versions = {r.version for r in fw if r.repo == "vesc_fw_archive"}
    assert {"3.55", "5.03", "6.06", "7.00"} <= versions
    assert releases.firmware_for("410").version == "7.00"
    assert releases.firmware_for("410").hw_dir == "410_o_411_o_412"


def test_hw_matching_is_the_o_rule_ignoring_case_with_the_riders_spellings(cache):
    assert releases.firmware_for("412", "5.03").hw_dir == "410_o_411_o_412"
    assert releases.firmware_for("4.12", "5.03") == releases.firmware_for("410", "5.03")
    assert releases.firmware_for("das_rs", "3.55").hw_dir == "DAS_RS"
    assert releases.bootloader_for("410").file == "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin"
    assert releases.bootloader_for("60_mk5").hw_dir.startswith("60_o_75_300")
    assert releases.bootloader_for("75_100").file == "generic.bin"  # no bootloader of its own: the generic one
    assert releases.bootloader_for("410").current
    # a folder that does not spell the name the firmware reports: matched by the name inside
    assert releases.firmware_for("A200S V2.1", "7.00").hw_dir == "A200S_V2.1"
    assert releases.firmware_for("flipsky_412", "7.00").hw_dir == "FLIPSKY_V4"


@needs_firmware
def test_every_shared_release_file_is_in_the_catalog(cache):
    manifest = (FIRMWARE_DIR / "MANIFEST.md").read_text()
    for f in sorted(FIRMWARE_DIR.glob("*.bin")):
        sha = hashlib.sha256(f.read_bytes()).hexdigest()
        assert sha[:16] in manifest
        release = releases.by_sha256(sha)
        assert release is not None, f.name
        assert release.kind == ("bootloader" if f.name.startswith("bootloader") else "firmware")


@needs_firmware
@pytest.mark.parametrize("name", sorted(p.name for p in FIRMWARE_DIR.glob("*.bin")))
def test_inspect_names_the_release_of_every_shared_image(name, cache, capsys):
    path = FIRMWARE_DIR / name
    release = releases.by_sha256(hashlib.sha256(path.read_bytes()).hexdigest())
    assert main(["inspect", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["release"]["hw_dir"] == release.hw_dir and doc["release"]["file"] == release.file
    assert doc["release"]["version"] == release.version and doc["release"]["byte_identical"] is True
    if release.kind == "firmware":
        assert doc["version"] == release.version
    assert main(["inspect", str(path)]) == 0
    assert f"release:  official {release.version} release for {release.hw_dir}" in capsys.readouterr().out \
        if release.kind == "firmware" else True


@needs_firmware
def test_a_firmware_read_back_after_its_first_boot_is_named_with_what_differs(cache):
    data = bytearray((FIRMWARE_DIR / "fw_410_2022-01.bin").read_bytes())
    data[-8:] = struct.pack("<II", 0, 0x12345678)  # the flag and CRC words the firmware writes at first boot
    data[0x4000:0x4010] = b"configuration..."  # and the board's configuration in sector 1
    match = releases.match_release(bytes(data) + b"\xff" * 4096)  # a readback of more than the image
    assert match and match.release.version == "5.03" and match.release.hw_dir == "410_o_411_o_412"
    assert match.reset == ("crc-words", "config") and not match.exact
    assert "identical apart from the CRC words written at first boot and the config sectors 1-2" in match.describe()
    data[0x20000] ^= 0xFF  # one byte of code changed: not the release any more
    assert releases.match_release(bytes(data)) is None


def test_inspect_says_an_image_that_is_not_in_the_catalog_is_not_official(tmp_path, cache, capsys):
    from vescdoctor.sim import imagegen

    path = tmp_path / "fw.bin"
    path.write_bytes(imagegen.firmware("410", "5.03", "release5"))
    assert main(["inspect", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["release"] is None
    main(["inspect", str(path)])
    assert "release:  none: not an official image" in capsys.readouterr().out


def test_a_generated_release_read_back_from_the_bench_flash_map_is_named(generated):
    from vescdoctor.flash_analysis import BytesReader, analyze

    record, data = generated["by_version"]["5.03"]
    flash = bytearray(b"\xff" * 0x100000)
    flash[:len(data)] = data
    flash[0x4000:0x4004] = b"\x00\x00\xaa\xaa"  # a config page
    flash[len(data) - 8:len(data)] = struct.pack("<II", 0, 0xDEADBEEF)
    fmap = analyze(BytesReader(bytes(flash)))
    assert fmap.app.release and "official 5.03 release for 410_o_411_o_412" in fmap.app.release
    assert "official 5.03 release" in fmap.facts()["flash.sectors"][0]["detail"]
    assert "official 5.03 release" in fmap.sectors[0].detail


# --- firmware list / get ----------------------------------------------------------------------------------------
def test_firmware_list_by_hw_and_unknown_hw(generated, capsys):
    assert main(["firmware", "list", "--hw", "410", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["images"]
    assert {(i["kind"], i["version"]) for i in listed} == {("firmware", "5.03"), ("firmware", "7.00"),
                                                           ("bootloader", None)}
    assert {i["file"] for i in listed if i["kind"] == "bootloader"} == {
        "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin", "generic.bin"}
    assert main(["firmware", "list", "--hw", "nosuchboard"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "410" in err and "60" in err


def test_get_fetches_the_newest_release_from_the_mirror_and_checks_it(generated, tmp_path, capsys):
    record, data = generated["by_version"]["7.00"]
    with MirrorServer(generated["root"]) as server:
        assert main(["firmware", "get", "--hw", "410", "--mirror", server.url]) == 0
    out = capsys.readouterr()
    path = Path(out.out.strip())
    assert path.read_bytes() == data and path.parent.parent == generated["cache"]
    assert "official 7.00 release for 410_o_411_o_412" in out.err and "sha256 checked" in out.err
    assert [p for p in cached_files(generated["cache"]) if p.suffix == ".part"] == []
    # the second time it comes from the cache, with no server at all
    assert main(["firmware", "get", "--hw", "410", "--offline", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"] == "the cache" and doc["release"]["sha256"] == record["sha256"]


@pytest.mark.parametrize("fault", ["corrupt", "truncate", "html"])
def test_a_wrong_truncated_or_html_file_is_refused_and_nothing_kept(generated, fault, capsys):
    with MirrorServer(generated["root"], {"7.00/410_o_411_o_412/VESC_default.bin": fault}) as server:
        assert main(["firmware", "get", "--hw", "410", "--mirror", server.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing kept" in err
    assert cached_files(generated["cache"]) == []


def test_no_server_is_exit_1_with_one_line(generated, capsys):
    with MirrorServer(generated["root"]) as server:
        url = server.url
    assert main(["firmware", "get", "--hw", "410", "--mirror", url]) == 1  # the server has stopped
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach" in err and "Traceback" not in err
    assert cached_files(generated["cache"]) == []


def test_http_error_is_exit_1(generated, capsys):
    with MirrorServer(generated["root"], {"VESC_default.bin": "404"}) as server:
        assert main(["firmware", "get", "--hw", "410", "--mirror", server.url]) == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_a_download_cut_off_resumes_with_a_range_request(generated, capsys):
    record, data = generated["by_version"]["5.03"]
    with MirrorServer(generated["root"], {"5.03/410_o_411_o_412/VESC_default.bin": "cut"}) as server:
        args = ["firmware", "get", "--hw", "410", "--version", "5.03", "--mirror", server.url]
        assert main(args) == 1
        assert "run again to resume" in capsys.readouterr().err
        parts = [p for p in cached_files(generated["cache"]) if p.suffix == ".part"]
        assert len(parts) == 1 and 0 < parts[0].stat().st_size < len(data)
        server.faults.clear()
        assert main(args) == 0
        assert server.requests[-1][1] == f"bytes={parts[0].stat().st_size if parts[0].exists() else 0}-" \
            or server.requests[-1][1].startswith("bytes=")
    assert Path(capsys.readouterr().out.strip()).read_bytes() == data
    assert [p for p in cached_files(generated["cache"]) if p.suffix == ".part"] == []


def test_a_download_already_running_elsewhere_is_not_shared(generated, capsys):
    from vescdoctor.catalog.fetch import cached_path

    lock = cached_path(releases.firmware_for("410")).with_name("VESC_default.bin.lock")
    lock.parent.mkdir(parents=True)
    lock.touch()  # another process is downloading it
    with MirrorServer(generated["root"]) as server:
        assert main(["firmware", "get", "--hw", "410", "--mirror", server.url]) == 1
        assert "another vescdoctor is downloading" in capsys.readouterr().err and server.requests == []
        lock.unlink()
        assert main(["firmware", "get", "--hw", "410", "--mirror", server.url]) == 0
    assert not lock.exists()


def test_offline_without_the_file_in_the_cache_is_exit_1(generated, capsys):
    assert main(["firmware", "get", "--hw", "410", "--offline"]) == 1
    assert "--offline forbids a download" in capsys.readouterr().err


def test_mirror_folder_from_the_environment_and_a_local_checkout(generated, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("VESCDOCTOR_MIRROR", generated["root"].as_uri())  # file:///...: a folder too
    assert main(["firmware", "get", "--hw", "60", "--version", "5.03"]) == 0
    assert Path(capsys.readouterr().out.strip()).is_file()
    checkout = generated["root"] / "vedderb" / "vesc_tool" / "0123456789abcdef0123456789abcdef01234567"
    assert main(["firmware", "get", "--hw", "410", "--bootloader", "--from", str(checkout), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["release"]["file"] == "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin"
    assert Path(doc["path"]).parent == checkout / "res" / "bootloaders"
    # a checkout holding another file at that place: refused, not used
    (checkout / "res" / "bootloaders" / "generic.bin").write_bytes(b"\x00" * 100)
    assert main(["firmware", "get", "--hw", "75_100", "--bootloader", "--from", str(checkout)]) == 2
    assert "not the official file" in capsys.readouterr().err


def test_dest_gets_a_named_copy_and_never_overwrites_other_content(generated, tmp_path, capsys):
    dest = tmp_path / "dest"
    dest.mkdir()
    args = ["firmware", "get", "--hw", "410", "--mirror", str(generated["root"]), "--dest", str(dest)]
    assert main(args) == 0
    target = Path(capsys.readouterr().out.strip())
    assert target == dest / "VESC_default-7.00-410_o_411_o_412.bin"
    assert target.read_bytes() == generated["by_version"]["7.00"][1]
    assert main(args) == 0  # the same content: left as it is
    target.write_bytes(b"my own file")
    assert main(args) == 2
    assert "not overwritten" in capsys.readouterr().err and target.read_bytes() == b"my own file"
    assert sorted(p.name for p in dest.iterdir()) == [target.name]


# --- fix without image arguments --------------------------------------------------------------------------------
def _fix(board, tmp_path, *extra):
    return main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), *extra])


@pytest.mark.slow  # a fix through the flash algorithm
def test_forum_case_fixed_with_the_catalogs_bootloader_and_firmware(generated, tmp_path, capsys):
    board = make(tmp_path, "bricked-update")
    _, fw = generated["by_version"]["7.00"]
    bl = next(d for r, d in generated["items"] if r["hw_dir"].startswith("40_o_"))
    with MirrorServer(generated["root"]) as server:
        capsys.readouterr()
        code = _fix(board, tmp_path, "--answer", "hw=410", "--mirror", server.url, "--yes", "--json",
                    "--report", str(tmp_path / "report.json"))
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    assert main(["report", "show", str(tmp_path / "report.json")]) == 0
    markdown = capsys.readouterr().out
    assert "- firmware: official 7.00 release for 410\\_o\\_411\\_o\\_412" in markdown, markdown
    assert "- bootloader: official bootloader" in markdown
    assert report["after"]["verdict"] == "healthy"
    named = {i["what"]: i for i in report["images"]}
    assert named["firmware"]["release"].startswith("official 7.00 release for 410_o_411_o_412")
    assert named["bootloader"]["release"].startswith(
        "official bootloader 40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin")
    assert named["firmware"]["source"].startswith(server.url)
    assert "Firmware from the catalog: official 7.00 release" in out.err
    flash = (board / "flash.bin").read_bytes()
    assert flash[0x080E0000 - 0x08000000:][:len(bl)] == bl
    assert flash[0xC000:len(fw)] == fw[0xC000:]


@pytest.mark.slow  # a fix through the flash algorithm
def test_fix_asks_before_a_download_and_offline_forbids_it(generated, tmp_path, capsys):
    board = make(tmp_path, "bricked-update")
    before = (board / "flash.bin").read_bytes()
    with MirrorServer(generated["root"]) as server:
        assert _fix(board, tmp_path, "--answer", "hw=410", "--mirror", server.url) == 2  # no tty, no --yes
        assert "pass --yes to download" in capsys.readouterr().err
        assert server.requests == []
    assert _fix(board, tmp_path, "--answer", "hw=410", "--offline", "--yes") == 2
    err = capsys.readouterr().err
    assert "needs a bootloader image (official bootloader" in err and "--offline" in err
    assert "pass --bootloader FILE and --firmware FILE" in err
    assert (board / "flash.bin").read_bytes() == before


@pytest.mark.slow  # a fix through the flash algorithm
def test_fix_without_the_board_hw_lists_the_names_the_catalog_knows(generated, tmp_path, capsys):
    board = make(tmp_path, "bricked-update")
    assert _fix(board, tmp_path, "--answer", "hw=unsure", "--mirror", str(generated["root"]), "--yes") == 2
    err = capsys.readouterr().err
    assert "--answer hw=410" in err and "the catalog knows" in err


@pytest.mark.slow
@needs_firmware
def test_real_images_from_a_mirror_of_shared_firmware(cache, tmp_path, capsys):
    root = tmp_path / "mirror"
    copied = real_mirror(root)
    assert len(copied) == len(list(FIRMWARE_DIR.glob("*.bin")))  # every one of them is in the catalog
    board = make(tmp_path, str(SCENARIOS_DIR / "seed-after-update-410.yaml"))
    with MirrorServer(root) as server:
        assert main(["firmware", "get", "--hw", "410", "--version", "5.03", "--mirror", server.url]) == 0
        capsys.readouterr()
        code = _fix(board, tmp_path, "--answer", "hw=410", "--mirror", server.url, "--firmware-version", "5.03",
                    "--yes", "--json")
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    assert report["after"]["verdict"] == "healthy"
    named = {i["what"]: i["release"] for i in report["images"]}
    assert named == {"firmware": "official 5.03 release for 410_o_411_o_412 (VESC_default.bin)",
                     "bootloader": "official bootloader 40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin (VESC Tool, "
                                   "first shipped 2022-12-08)"}
