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


def flash(board: Path) -> bytes:
    return (board / "flash.bin").read_bytes()


def fix(board: Path, tmp_path: Path, *extra: str) -> int:
    """`vescdoctor fix --sim BOARD` with its backups under tmp_path/backups."""
    from vescdoctor.cli import main

    return main(["fix", "--sim", str(board), "--backup-dir", str(tmp_path / "backups"), *extra])


def backups(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "backups").glob("*.bin")) if (tmp_path / "backups").is_dir() else []


def last_line(err: str) -> str:
    """The one `vescdoctor:` line a refusal prints (and no traceback)."""
    lines = [line for line in err.splitlines() if line.startswith("vescdoctor:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("vescdoctor:")]


def fix_bricked(board: Path, tmp_path: Path, images: dict[str, Path], *extra: str) -> int:
    """`vescdoctor fix --yes` of the forum case with generated images and the HW answered."""
    return fix(board, tmp_path, "--bootloader", str(images["bl"]), "--firmware", str(images["fw"]), "--yes",
               "--answer", "hw=410", *extra)
