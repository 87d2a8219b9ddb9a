"""The README's `saccr generate` / `saccr compute` examples run as written (smaller), so docs cannot drift."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from saccr_pipeline.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands(subcommands: tuple[str, ...]) -> list[list[str]]:
    """`.venv/bin/saccr ...` command lines from the README's bash blocks (continuations joined)."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == [".venv/bin/saccr"] and words[1] in subcommands:
                commands.append(words[1:])
    return commands


def test_readme_quick_start_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = readme_commands(("generate", "compute"))
    assert [c[0] for c in commands] == ["generate", "compute"], commands
    monkeypatch.chdir(tmp_path)  # relative landing/ and output/ paths land in tmp_path
    generate, compute = commands
    smaller = {"--trades": "600", "--netting-sets": "12"}
    generate = [smaller.get(prev, word) for prev, word in zip(["", *generate[:-1]], generate, strict=True)]
    assert main(generate) == 0
    assert main(compute) == 0
    out = tmp_path / compute[compute.index("--out") + 1]
    netting_sets = pd.read_csv(out / "netting_set.csv")
    assert len(netting_sets) == 12 and (netting_sets["ead"] >= 0).all()
    assert pd.read_csv(out / "rejected.csv").empty
