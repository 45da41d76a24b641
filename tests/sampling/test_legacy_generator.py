"""Generators saved before the method interface (``generator.json`` format
``facegan.generator/1``, made by main at 7eecbcc) still load and draw the same pictures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from facegan.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"
# sha256 of `facegan generate FIXTURE -n 16 --grid out.png --seed 7`, written by that main
GRID_SHA256 = {
    "legacy_generator": "498cf8527259c44cf217686d496c0253c3ebf9871dfffa5d04c23b636ce6dc00",
    "legacy_class_generator":
        "2aa974c10fd50752eb7146f4a2681754d920167ad7b30d11caa501d7f4a01f5e",
}


@pytest.mark.parametrize("name", sorted(GRID_SHA256))
def test_a_generator_saved_by_the_old_code_draws_the_same_grid(name, tmp_path):
    out = tmp_path / "grid.png"
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", str(FIXTURES / name), "-n", "16", "--grid", str(out), "--seed", "7"])
    assert exit_info.value.code in (0, None)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == GRID_SHA256[name]
