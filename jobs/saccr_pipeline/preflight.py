"""What the machine must offer before a Spark job starts, checked without Spark and before anything is
written: Java to start Spark's JVM, a lakehouse root that can be written, a landing root that exists. Each
fault is one :class:`~saccr_pipeline.errors.EnvironmentFaultError` naming it and the fix (the command line:
one line, exit 2), instead of a Java stack trace after Spark started and the lakehouse was created.

Roots given as URIs (s3a://, abfss://) are left to Spark and fsspec: only local folders are checked here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from saccr_pipeline.errors import EnvironmentFaultError

JAVA_FIX = "install Java 17 and put its bin/ on PATH, or set JAVA_HOME to it"


def java_executable() -> Path | None:
    """The java Spark's launcher would run: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        return java if java.is_file() and os.access(java, os.X_OK) else None
    found = shutil.which("java")
    return Path(found) if found else None


def check_java() -> None:
    if java_executable() is None:
        where = (
            f"JAVA_HOME={os.environ['JAVA_HOME']} has no bin/java"
            if os.environ.get("JAVA_HOME")
            else ("no java on PATH and JAVA_HOME is not set")
        )
        raise EnvironmentFaultError(f"Spark needs Java: {where}; {JAVA_FIX}")


def _local(root: str) -> Path | None:
    if "://" in root and not root.startswith("file://"):
        return None
    return Path(root.removeprefix("file://"))


def check_lakehouse(root: str) -> None:
    """The lakehouse root, or the nearest folder above it that exists, can be written (a probe file is made
    and removed there; nothing else is created)."""
    path = _local(root)
    if path is None:
        return
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    fix = "set lakehouse_root (SACCR_LAKEHOUSE or --lakehouse) to a folder this user can write"
    if existing is None or not existing.is_dir():
        raise EnvironmentFaultError(
            f"lakehouse root {root} cannot be created: {existing} is not a folder; {fix}"
        )
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".saccr-write-check-"):
            pass
    except OSError as exc:
        raise EnvironmentFaultError(
            f"lakehouse root {root} cannot be written ({existing}: {exc.strerror or exc}); {fix}"
        ) from exc


def check_landing(root: str) -> None:
    path = _local(root)
    if path is not None and not path.is_dir():
        raise EnvironmentFaultError(
            f"landing root {root} does not exist or is not a folder; set landing_root (SACCR_LANDING or "
            "--landing) to the folder the extracts are delivered to"
        )
