"""The one SparkSession builder: classic Spark with Delta Lake from the jars `make setup` fetched.

Nothing downloads at run time. Started from Python, the session gets the Delta jars in
`settings.delta_jar_dir` (checked against tools/delta-jars/SHA256SUMS) through `spark.jars` and the master
from the settings. Under spark-submit (the Airflow path) jars and master come from its command line instead.
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from saccr_pipeline.config.regimes import REPO_ROOT
from saccr_pipeline.config.settings import Settings, load_settings
from saccr_pipeline.errors import SparkSetupError

if TYPE_CHECKING:
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
JAR_CHECKSUMS = REPO_ROOT / "tools" / "delta-jars" / "SHA256SUMS"
REQUIRED_JARS = ("delta-spark_4.2_2.13-", "delta-storage-")  # name prefixes; delta-storage must load alike
_FIX = "run `make setup` to fetch the Delta jars (tools/delta-jars)"


def under_spark_submit() -> bool:
    """True when spark-submit launched this process: it owns the JVM, jars and master (--jars, --master)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def delta_jars(jar_dir: Path, checksums: Path = JAR_CHECKSUMS) -> list[Path]:
    """The Delta jar set in `jar_dir`, verified: exactly the jars named in `checksums` (when that file
    exists), each with its recorded sha256, since any other jar in the folder would join the classpath."""
    jars = sorted(jar_dir.glob("*.jar")) if jar_dir.is_dir() else []
    missing = [p for p in REQUIRED_JARS if not any(j.name.startswith(p) for j in jars)]
    if missing:
        raise SparkSetupError(f"Delta jars {[p + '*.jar' for p in missing]} not found in {jar_dir}: {_FIX}")
    if checksums.is_file():
        pairs = (line.split(maxsplit=1) for line in checksums.read_text().splitlines() if line.strip())
        expected = {name.lstrip("*"): digest for digest, name in pairs}  # sha256sum format
        if sorted(expected) != [j.name for j in jars]:
            raise SparkSetupError(
                f"jars in {jar_dir} differ from {checksums}: expected {sorted(expected)}, "
                f"found {[j.name for j in jars]}; {_FIX}"
            )
        for jar in jars:
            stat = jar.stat()
            if _sha256(jar, stat.st_size, stat.st_mtime_ns) != expected[jar.name]:
                raise SparkSetupError(f"{jar} does not match its sha256 in {checksums}; {_FIX}")
    return jars


@lru_cache(maxsize=64)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:  # size and mtime key the cache
    return hashlib.sha256(path.read_bytes()).hexdigest()


def session_conf(settings: Settings) -> dict[str, str]:
    """The Spark settings every pipeline job runs with, however it starts (from Python, by spark-submit from
    the Airflow DAGs, on a cluster): Delta Lake, UTC, Arrow, the shuffle partitions of the environment."""
    return {
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": settings.driver_memory,  # read when the JVM starts (spark-submit or Python)
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        # Delta reads a table's log with this many tasks (default 50); the pipeline's tables have short logs.
        "spark.databricks.delta.snapshotPartitions": str(settings.shuffle_partitions),
        "spark.ui.showConsoleProgress": "false",  # the steps print their own progress
    }


def build_spark(
    app_name: str,
    settings: Settings | None = None,
    master: str | None = None,
    extra_conf: dict[str, str] | None = None,
) -> SparkSession:
    """Start a SparkSession with Delta Lake (extension, catalog, local jars), UTC session time, Arrow on and
    shuffle partitions from `settings`; `master` and `extra_conf` override the settings.

    A running session is returned as is when it has Delta configured (only runtime confs in `extra_conf` are
    applied to it, as `getOrCreate` does); one without Delta raises :class:`SparkSetupError`, since Spark's
    jars, extensions and catalog are fixed when the JVM and first session start.
    """
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    running = SparkContext._active_spark_context
    if running is not None:
        _require_delta_conf(running.getConf())
        return _with_conf(SparkSession.builder, extra_conf or {}).getOrCreate()

    settings = settings or load_settings()
    submitted = under_spark_submit()
    master = master or (None if submitted else settings.spark_master)
    conf = {"spark.api.mode": "classic", **session_conf(settings)}  # never fall into Spark Connect
    if not submitted:
        if not master:
            raise SparkSetupError(
                f"no Spark master for environment {settings.env!r}: set SACCR_SPARK_MASTER, pass master=, "
                "or launch the job with spark-submit --master"
            )
        conf["spark.jars"] = ",".join(str(j) for j in delta_jars(settings.delta_jar_dir))
    is_local = bool(master and master.startswith("local"))
    if master:
        conf["spark.master"] = master
    if is_local:
        conf |= {"spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1"}
    conf |= extra_conf or {}
    _use_this_python(force=is_local)

    try:
        spark = _with_conf(SparkSession.builder.appName(app_name), conf).getOrCreate()
    except Exception as exc:  # the JVM did not start: one line, not the launcher's output
        if "JAVA_GATEWAY_EXITED" not in str(exc):
            raise
        raise SparkSetupError(
            f"Spark's JVM did not start ({str(exc).strip().splitlines()[0]}): check that Java 17 runs "
            "(JAVA_HOME, PATH) and that spark.driver.memory fits this machine"
        ) from exc
    _require_delta_classes(spark, settings.delta_jar_dir)
    return spark


def _with_conf(builder: SparkSession.Builder, conf: dict[str, str]) -> SparkSession.Builder:
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder


def _use_this_python(force: bool) -> None:
    """Python workers must run this interpreter (with pandas and the engine), not the `python3` on PATH.
    Forced for local masters, whose workers share this machine; a cluster may set its own path."""
    for var in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON"):
        if force:
            os.environ[var] = sys.executable
        else:
            os.environ.setdefault(var, sys.executable)
    if force:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def _require_delta_conf(conf: SparkConf) -> None:
    extensions = [e.strip() for e in (conf.get("spark.sql.extensions") or "").split(",")]
    if DELTA_EXTENSION not in extensions or conf.get("spark.sql.catalog.spark_catalog") != DELTA_CATALOG:
        raise SparkSetupError(
            "a SparkSession/SparkContext without Delta is already running in this process; its jars and "
            "extensions cannot change now. Stop it, or create every session with "
            "saccr_pipeline.lakehouse.spark.build_spark"
        )


def _require_delta_classes(spark: SparkSession, jar_dir: Path) -> None:
    from py4j.java_gateway import JavaClass

    if not isinstance(spark._jvm.io.delta.tables.DeltaTable, JavaClass):
        spark.stop()
        raise SparkSetupError(
            f"Delta classes are not on Spark's classpath: pass the jars in {jar_dir} to spark-submit "
            f"with --jars (comma-separated); if that folder is empty, {_FIX}"
        )
