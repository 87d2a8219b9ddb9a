"""Environment faults end in one line and exit 2 before anything is written (issue 22, item 3): no Java, a
lakehouse root that cannot be written, a landing root that does not exist, a Java that cannot start Spark.
Through the real `saccr run` command; no Spark JVM starts in any of these."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from saccr_pipeline.cli import main
from saccr_pipeline.sample.generate import generate
from support.lakehouse import write_landing

AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid delivery of AS_OF: the only fault of each test is the one it makes."""
    import datetime as dt

    day = dt.date.fromisoformat(AS_OF)
    return write_landing(tmp_path_factory.mktemp("landing"), day, generate(day, 60, 4, seed=2))


def run(landing: Path, lakehouse: Path | str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["run", "--as-of", AS_OF, "--landing", str(landing), "--lakehouse", str(lakehouse)])
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return code, err.strip()


def test_no_java(landing: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    code, err = run(landing, tmp_path / "lake", capsys)
    assert code == 2
    assert err == (
        "saccr run: error: Spark needs Java: no java on PATH and JAVA_HOME is not set; install Java 17 and "
        "put its bin/ on PATH, or set JAVA_HOME to it"
    )
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    code, err = run(landing, tmp_path / "lake", capsys)
    assert code == 2 and f"Spark needs Java: JAVA_HOME={tmp_path / 'jdk'} has no bin/java" in err
    assert not (tmp_path / "lake").exists()


def test_a_lakehouse_root_that_cannot_be_written(landing: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    code, err = run(landing, a_file / "lake", capsys)
    assert code == 2
    assert err.startswith(
        f"saccr run: error: lakehouse root {a_file / 'lake'} cannot be created: {a_file} is"
    )
    assert err.endswith("set lakehouse_root (SACCR_LAKEHOUSE or --lakehouse) to a folder this user can write")
    code, err = run(landing, "/proc/saccr-lakehouse", capsys)  # read-only even for root
    assert code == 2 and "lakehouse root /proc/saccr-lakehouse cannot be written (/proc: " in err
    assert not Path("/proc/saccr-lakehouse").exists()


def test_a_missing_landing_root(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code, err = run(tmp_path / "no-landing", tmp_path / "lake", capsys)
    assert code == 2
    assert err.startswith(f"saccr run: error: landing root {tmp_path / 'no-landing'} does not exist")
    assert not (tmp_path / "lake").exists()


def test_a_java_that_cannot_start_spark(landing: Path, tmp_path: Path) -> None:
    """A `java` that fails: Spark's launcher exits, and the command says so in one line of its own (the
    launcher's stderr passes through unchanged), exit 2, no lakehouse."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "java").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "PYSPARK_GATEWAY_PORT")}
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    saccr = Path(sys.executable).parent / "saccr"
    argv = [
        str(saccr),
        "run",
        "--as-of",
        AS_OF,
        "--landing",
        str(landing),
        "--lakehouse",
        str(tmp_path / "lake"),
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("saccr run: error:")]
    assert len(ours) == 1 and "Spark's JVM did not start ([JAVA_GATEWAY_EXITED]" in ours[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "lake").exists()
