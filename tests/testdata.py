"""Where the tests find their data: the repository, and the shared reference data beside it (../shared).

../shared (real VESC images, reference scenarios) is not part of this repository: CI lays a copy beside the clone,
a checkout elsewhere may have none. Tests that need it skip, saying which folder is absent."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT.parent / "shared").resolve()
FIRMWARE_DIR = SHARED / "firmware"
SCENARIOS_DIR = SHARED / "scenarios"
GRAPHS_DIR = Path(__file__).resolve().parent / "graphs"
DOCS_SCHEMA = ROOT / "docs" / "report.schema.json"

SHARED_SCENARIOS = sorted(SCENARIOS_DIR.glob("*.yaml")) if SCENARIOS_DIR.is_dir() else []

_firmware_absent = pytest.mark.skipif(not FIRMWARE_DIR.is_dir(),
                                      reason=f"real VESC images not available ({FIRMWARE_DIR} is absent)")


def needs_firmware(test):
    """Marks a test that reads ../shared/firmware: `real_firmware`, and skipped, saying why, when it is absent."""
    return pytest.mark.real_firmware(_firmware_absent(test))

needs_scenarios = pytest.mark.skipif(not SHARED_SCENARIOS,
                                     reason=f"shared scenarios not available ({SCENARIOS_DIR} is absent)")


def real_image(name: str) -> Path:
    """A real image from ../shared/firmware; the calling test skips, saying so, when it is not there."""
    path = FIRMWARE_DIR / name
    if not path.is_file():
        pytest.skip(f"real VESC image not available ({path} is absent)")
    return path
