"""Airflow for the DAG tests: a throw-away AIRFLOW_HOME with SQLite per pytest process, migrated once.

Airflow reads its configuration when `airflow` is first imported, so the environment is set here, when pytest
imports this conftest (before any test module of tests/dags/ imports airflow), and not in the root conftest.
Under `pytest -n 2` every xdist worker imports it and gets a home of its own. Tests in other folders never
import airflow, so these variables change nothing for them; the home is deleted when the process exits.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="saccr-airflow-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)

os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW_CONN_SPARK_SACCR": json.dumps({"conn_type": "spark", "host": "local[2]"}),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # spark-submit
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
)

TRADES, NETTING_SETS, SEED = 400, 24, 11  # small: every DAG run is five spark-submits
# Short-lived driver JVMs: C1-only JIT and the serial collector start several seconds faster per step.
SPARK_DEFAULTS = (
    "spark.driver.extraJavaOptions -XX:TieredStopAtLevel=1 -XX:+UseSerialGC\n"
    "spark.ui.enabled false\n"
    "spark.default.parallelism 2\n"
)


@pytest.fixture(scope="session")
def spark_conf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SPARK_CONF_DIR whose spark-defaults.conf every spark-submit of the DAG runs reads."""
    folder = tmp_path_factory.mktemp("spark-conf")
    (folder / "spark-defaults.conf").write_text(SPARK_DEFAULTS)
    return folder


@pytest.fixture(scope="session", autouse=True)
def airflow_db() -> Path:
    """`airflow db migrate` once per process (about 5 s); returns AIRFLOW_HOME."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, timeout=300
    )
    return AIRFLOW_HOME


def write_sample_extracts(landing: Path, first: dt.date, days: int = 1) -> list[dt.date]:
    """Sample extracts for `days` consecutive weekdays from `first` into `landing/<date>/`; their dates."""
    from saccr_pipeline.extracts import write_extracts
    from saccr_pipeline.sample.generate import generate_series

    dates = []
    for as_of, frames in generate_series(first, days, TRADES, NETTING_SETS, SEED, "USD"):
        write_extracts(frames, landing / as_of.isoformat())
        dates.append(as_of)
    return dates


@pytest.fixture(scope="session")
def sample_extracts() -> Callable[[Path, dt.date, int], list[dt.date]]:
    """:func:`write_sample_extracts`, for the test modules."""
    return write_sample_extracts


@pytest.fixture
def pipeline_roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(landing, lakehouse) of one test, picked up by the DAG through SACCR_LANDING / SACCR_LAKEHOUSE."""
    landing, lakehouse = tmp_path / "landing", tmp_path / "lakehouse"
    landing.mkdir()
    monkeypatch.setenv("SACCR_ENV", "ci")
    monkeypatch.setenv("SACCR_LANDING", str(landing))
    monkeypatch.setenv("SACCR_LAKEHOUSE", str(lakehouse))
    yield landing, lakehouse
