"""Settings per environment, SACCR_* overrides, and the Spark builder's refusal to start without Delta."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from saccr_pipeline.config.regimes import REPO_ROOT
from saccr_pipeline.config.settings import ENV_OVERRIDES, Settings, load_settings
from saccr_pipeline.errors import SettingsError, SparkSetupError
from saccr_pipeline.lakehouse.spark import build_spark, delta_jars


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [*ENV_OVERRIDES, "SACCR_ENV", "SACCR_CONF_DIR", "PYSPARK_GATEWAY_PORT"]:
        monkeypatch.delenv(var, raising=False)


def test_local_is_the_default() -> None:
    s = load_settings()
    assert s == Settings(
        env="local",
        lakehouse_root=str(REPO_ROOT / "lakehouse"),
        landing_root=str(REPO_ROOT / "landing"),
        spark_master="local[*]",
        delta_jar_dir=REPO_ROOT / "jars" / "delta",
        reporting_currency="USD",
        regime="bcbs_cre52",
        bucket_count=16,
        shuffle_partitions=8,
        ir_offset=True,
        cap_vm_treatment="regime",
        batch_dates=20,
        driver_memory="4g",
    )


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("SACCR_IR_OFFSET", "false", "ir_offset", False),
        ("SACCR_CAP_VM_TREATMENT", "EU", "cap_vm_treatment", "eu"),
        ("SACCR_BATCH_DATES", "5", "batch_dates", 5),
        ("SACCR_DRIVER_MEMORY", "8G", "driver_memory", "8g"),
    ],
)
def test_engine_options_and_batch_size_can_be_overridden(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(), field) == expected


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SACCR_IR_OFFSET", "yes", "ir_offset must be true or false"),
        ("SACCR_CAP_VM_TREATMENT", "us", "cap_vm_treatment must be one of"),
        ("SACCR_BATCH_DATES", "0", "batch_dates must be a whole number >= 1"),
        ("SACCR_DRIVER_MEMORY", "lots", "driver_memory must be a JVM size"),
    ],
)
def test_bad_engine_options_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_saccr_env_selects_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SACCR_ENV", "ci")
    s = load_settings()
    assert (s.env, s.spark_master, s.shuffle_partitions, s.bucket_count) == ("ci", "local[2]", 2, 16)


@pytest.mark.parametrize(
    ("var", "value", "field", "expected"),
    [
        ("SACCR_LAKEHOUSE", "s3a://bank-lake/saccr", "lakehouse_root", "s3a://bank-lake/saccr"),
        ("SACCR_LAKEHOUSE", "/data/lake", "lakehouse_root", "/data/lake"),
        ("SACCR_LANDING", "incoming", "landing_root", str(REPO_ROOT / "incoming")),
        ("SACCR_SPARK_MASTER", "spark://10.0.0.5:7077", "spark_master", "spark://10.0.0.5:7077"),
        ("SACCR_DELTA_JARS", "/opt/delta", "delta_jar_dir", Path("/opt/delta")),
        ("SACCR_REPORTING_CURRENCY", "eur", "reporting_currency", "EUR"),
        ("SACCR_BUCKET_COUNT", "32", "bucket_count", 32),
        ("SACCR_SHUFFLE_PARTITIONS", "4", "shuffle_partitions", 4),
    ],
)
def test_environment_variables_override(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(var, value)
    assert getattr(load_settings(), field) == expected


def test_explicit_env_argument_wins_over_saccr_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SACCR_ENV", "ci")
    assert load_settings("local").spark_master == "local[*]"


def test_prod_requires_the_lakehouse_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="SACCR_LAKEHOUSE"):
        load_settings("prod")
    monkeypatch.setenv("SACCR_LAKEHOUSE", "s3a://bank-lake/saccr")
    monkeypatch.setenv("SACCR_LANDING", "s3a://bank-landing/saccr")
    s = load_settings("prod")
    assert (s.lakehouse_root, s.spark_master, s.bucket_count) == ("s3a://bank-lake/saccr", None, 64)


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("SACCR_ENV", "staging", "unknown environment 'staging'"),
        ("SACCR_BUCKET_COUNT", "0", "bucket_count must be a whole number >= 1"),
        ("SACCR_SHUFFLE_PARTITIONS", "two", "shuffle_partitions must be a whole number >= 1"),
        ("SACCR_REPORTING_CURRENCY", "DOLLAR", "ISO 4217"),
        ("SACCR_REGIME", "basel_v", "regime 'basel_v' has no parameter file"),
    ],
)
def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_unknown_key_in_the_file_is_rejected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "regimes").mkdir()
    text = (REPO_ROOT / "conf" / "settings.toml").read_text().replace("[env.ci]", "[env.ci]\nbuckets = 3")
    (tmp_path / "settings.toml").write_text(text)
    monkeypatch.setenv("SACCR_CONF_DIR", str(tmp_path))
    with pytest.raises(SettingsError, match=r"unknown settings \['buckets'\]"):
        load_settings("ci")


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        load_settings().bucket_count = 1  # type: ignore[misc]


# --- the Spark builder, without starting a JVM ---


@pytest.fixture
def no_running_spark(monkeypatch: pytest.MonkeyPatch):
    """Hide any SparkContext another test started in this process; yield the py4j gateway to compare after."""
    from pyspark import SparkContext

    monkeypatch.setattr(SparkContext, "_active_spark_context", None)
    return SparkContext._gateway


@pytest.mark.parametrize("jar_dir", ["missing", "empty"])
def test_build_spark_refuses_without_delta_jars(tmp_path: Path, no_running_spark, jar_dir: str) -> None:
    from pyspark import SparkContext

    if jar_dir == "empty":
        (tmp_path / jar_dir).mkdir()
    settings = dataclasses.replace(load_settings(), delta_jar_dir=tmp_path / jar_dir)
    with pytest.raises(SparkSetupError, match="make setup"):
        build_spark("no-jars", settings=settings)
    assert SparkContext._gateway is no_running_spark  # no JVM was started


def test_build_spark_refuses_a_running_session_without_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyspark import SparkConf, SparkContext

    class PlainContext:
        def getConf(self) -> SparkConf:
            return SparkConf(loadDefaults=False).set("spark.master", "local[1]")

    monkeypatch.setattr(SparkContext, "_active_spark_context", PlainContext())
    with pytest.raises(SparkSetupError, match="without Delta is already running"):
        build_spark("late")


def _jar(folder: Path, name: str, content: bytes) -> str:
    (folder / name).write_bytes(content)
    return f"{hashlib.sha256(content).hexdigest()}  {name}\n"


def test_delta_jars_checks_names_and_hashes(tmp_path: Path) -> None:
    jars = tmp_path / "jars"
    jars.mkdir()
    sums = tmp_path / "SHA256SUMS"
    names = ["delta-spark_4.2_2.13-4.4.0.jar", "delta-storage-4.4.0.jar"]
    sums.write_text("".join(_jar(jars, name, name.encode()) for name in names))
    assert [p.name for p in delta_jars(jars, sums)] == names

    (jars / "stray-1.0.jar").write_bytes(b"x")
    with pytest.raises(SparkSetupError, match="differ from"):
        delta_jars(jars, sums)
    (jars / "stray-1.0.jar").unlink()

    (jars / "delta-storage-4.4.0.jar").write_bytes(b"tampered")
    with pytest.raises(SparkSetupError, match="does not match its sha256"):
        delta_jars(jars, sums)


def test_repo_jar_set_is_complete_when_fetched() -> None:
    jar_dir = REPO_ROOT / "jars" / "delta"
    if not jar_dir.is_dir():
        pytest.skip("Delta jars not fetched (make setup)")
    names = [p.name for p in delta_jars(jar_dir)]
    assert any(n.startswith("delta-spark_4.2_2.13-") for n in names)
