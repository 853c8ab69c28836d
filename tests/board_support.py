"""Simulated boards for the fix tests: a scenario (built-in name or file) made into a board, faults injected."""
from __future__ import annotations

from pathlib import Path

from vescdoctor.sim.scenario import build_board, find_scenario, load_scenario


def make(tmp_path: Path, scenario: str, name: str = "board", faults: str | None = None) -> Path:
    board = tmp_path / name
    build_board(find_scenario(scenario) if not scenario.endswith(".yaml") else load_scenario(scenario), board)
    if faults:
        yaml = board / "board.yaml"
        text = yaml.read_text()
        assert "faults: {}" in text
        yaml.write_text(text.replace("faults: {}", f"faults: {faults}"))
    return board
