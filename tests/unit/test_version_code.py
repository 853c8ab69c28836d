"""Issue 15: the firmware version is read from the code of every release image 3.27-7.00 (the compiler's shapes of
printf("Firmware: %d.%d", ...), docs/knowledge.md), and `inspect` finds HW and version of real releases.

Real images come from the upstream mirrors when present (vesc_fw_archive: 3.55-7.00, every HW; vesc_tool history:
3.27-3.53) and ../shared/firmware; those tests skip otherwise. Generated images (every compiler shape) always run.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from vescdoctor.images import identify
from vescdoctor.images.version import version_from_code
from vescdoctor.sim import imagegen

from testdata import FIRMWARE_DIR as SHARED_FW

MIRROR = Path("/work/.mirror")
ARCHIVE = MIRROR / "vedderb+vesc_fw_archive" / "repo"
VESC_TOOL = MIRROR / "vedderb+vesc_tool" / "repo"
ARCHIVE_VERSIONS = ["3.55", "3.59", "3.66", "4.00", "4.01", "4.02", "5.01", "5.02", "5.03", "6.00", "6.02", "6.05",
                    "6.06", "7.00"]
# vesc_tool commits whose res/firmwares/410_o_411_o_412/VESC_default.bin is a release (commit message names it)
VESC_TOOL_RELEASES = {"3.27": "d28c88b9", "3.28": "b8ff17ff", "3.30": "1fc2c831", "3.31": "dbbc4c27",
                      "3.38": "51a0ace6", "3.40": "9e3de2a5", "3.51": "27bded0e", "3.53": "46911dd7"}


def git_blob(repo: Path, spec: str) -> bytes:
    if not repo.is_dir():
        pytest.skip(f"upstream mirror {repo} not available")
    done = subprocess.run(["git", "--git-dir", str(repo), "cat-file", "blob", spec], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"{spec} not in {repo}")
    return done.stdout


@pytest.mark.parametrize("version", ["3.27", "3.40", "3.55", "4.00", "4.02", "5.03", "6.00", "6.05", "6.06", "7.00",
                                     "6.07", "8.00"])
@pytest.mark.parametrize("seed", [0, 1])
def test_generated_images_of_every_compiler_shape(version, seed):
    size = "small" if version < "3.55" else None
    image = imagegen.firmware("60", version, size or ("release6" if version >= "6" else "release5"), seed=seed)
    assert version_from_code(image) == version


def test_an_image_without_the_printf_shape_gives_none():
    assert version_from_code(b"Firmware: %d.%d\x00" + b"\x00" * 64) is None
    assert version_from_code(imagegen.other_app()) is None


@pytest.mark.real_firmware
@pytest.mark.parametrize("version", ARCHIVE_VERSIONS)
@pytest.mark.parametrize("hw_dir,hw", [("410_o_411_o_412", "410"), ("60", "60")])
def test_real_archive_releases(version, hw_dir, hw):
    data = git_blob(ARCHIVE, f"HEAD:{version}/{hw_dir}/VESC_default.bin")
    info = identify(data)
    assert (info.kind, info.hw, info.version) == ("firmware", hw, version)


@pytest.mark.real_firmware
@pytest.mark.parametrize("version,commit", sorted(VESC_TOOL_RELEASES.items()))
def test_real_early_releases_from_vesc_tool(version, commit):
    data = git_blob(VESC_TOOL, f"{commit}:res/firmwares/410_o_411_o_412/VESC_default.bin")
    assert version_from_code(data) == version
    assert identify(data).hw == "410"


@pytest.mark.real_firmware
@pytest.mark.skipif(not SHARED_FW.is_dir(), reason=f"{SHARED_FW} not available")
@pytest.mark.parametrize("name,version", [("fw_410_2018-07.bin", "3.40"), ("fw_410_2022-01.bin", "5.03"),
                                          ("fw_60_2022-01.bin", "5.03")])
def test_shared_release_files(name, version):
    assert version_from_code((SHARED_FW / name).read_bytes()) == version
