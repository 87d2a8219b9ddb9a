"""Pipeline settings per environment: where the lakehouse and landing zone are, which Spark master and Delta
jars to use, the reporting currency, the regime and how many buckets the engine's UDF groups by.

`conf/settings.toml` holds a `[default]` table and one `[env.<name>]` table per environment (local, ci, prod);
SACCR_ENV picks the environment (default local) and SACCR_* variables override single values (see
`ENV_OVERRIDES`). Relative paths resolve against the repository root. Read once at start-up into a frozen,
validated :class:`Settings`; a bad value raises :class:`SettingsError` naming the file, key and what to do.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from saccr_pipeline.config.regimes import REPO_ROOT, conf_dir, read_conf_toml
from saccr_pipeline.errors import SettingsError

ENV_VAR = "SACCR_ENV"
DEFAULT_ENV = "local"

ENV_OVERRIDES: dict[str, str] = {
    "SACCR_LAKEHOUSE": "lakehouse_root",
    "SACCR_LANDING": "landing_root",
    "SACCR_SPARK_MASTER": "spark_master",
    "SACCR_DELTA_JARS": "delta_jar_dir",
    "SACCR_REPORTING_CURRENCY": "reporting_currency",
    "SACCR_REGIME": "regime",
    "SACCR_BUCKET_COUNT": "bucket_count",
    "SACCR_SHUFFLE_PARTITIONS": "shuffle_partitions",
    "SACCR_MAX_REJECTED_SHARE": "max_rejected_share",
    "SACCR_INCOMPLETE_NETTING_SETS": "incomplete_netting_sets",
    "SACCR_DQ_COLUMNAR_CACHE_ROWS": "dq_columnar_cache_rows",
    "SACCR_DQ_GX_PANDAS_ROWS": "dq_gx_pandas_rows",
    "SACCR_IR_OFFSET": "ir_offset",
    "SACCR_CAP_VM_TREATMENT": "cap_vm_treatment",
    "SACCR_BATCH_DATES": "batch_dates",
    "SACCR_DRIVER_MEMORY": "driver_memory",
    "SACCR_RUN_LEASE_MINUTES": "run_lease_minutes",
    "SACCR_IDENTIFIER_PATTERN": "identifier_pattern",
}
INCOMPLETE_NETTING_SET_POLICIES = ("hold", "flag")
# Identifiers (trade, netting set, counterparty, legal entity, underlying, market data key): printable ASCII
# without surrounding blanks, so a no-break space or full-width digits never make a second id of one.
DEFAULT_IDENTIFIER_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
CAP_VM_TREATMENTS = ("regime", "basel", "eu")


@dataclass(frozen=True)
class Settings:
    """Everything that differs between a laptop, CI and production, and the engine's options (which do change
    numbers: every run records them in run_log)."""

    env: str
    lakehouse_root: str  # absolute path or URI (s3a://...)
    landing_root: str  # absolute path or URI
    spark_master: str | None  # None: given by spark-submit (--master) or spark-defaults
    delta_jar_dir: Path
    reporting_currency: str
    regime: str
    bucket_count: int
    shuffle_partitions: int
    # Data quality (quality.validation): the share of an extract's rows that may be quarantined before the
    # date stops, and what compute does with a netting set missing a quarantined trade (hold | flag).
    max_rejected_share: float = 0.05
    incomplete_netting_sets: str = "hold"
    # Performance only: an extract of at least this many rows is validated from Spark's columnar cache, a
    # smaller one from a local checkpoint (saccr_pipeline.quality.validation._materialised).
    dq_columnar_cache_rows: int = 5_000_000
    # Performance only: GX validates an extract of fewer rows than this (in a batch) on pandas, a larger one
    # on Spark; the verdicts are the same (quality.validation.check_agreement).
    dq_gx_pandas_rows: int = 200_000
    # The engine's options (saccr.engine.CalculationOptions): the IR aggregation of CRE52.57(4) (true) or the
    # sum of absolute bucket amounts (false); C in the unmargined cap: the regime's own reading ("regime"), or
    # basel (keeps VM) or eu (NICA only) whatever the regime.
    ir_offset: bool = True
    cap_vm_treatment: str = "regime"
    # A range of dates runs in batches of at most this many dates, each step once per batch.
    batch_dates: int = 20
    # Memory of the Spark driver (spark.driver.memory): with local[*] it is the executors' memory too.
    driver_memory: str = "4g"
    # A run's lease on its dates (lakehouse.lease) lapses when it logged nothing for this many minutes.
    run_lease_minutes: int = 360
    # Data quality: the regular expression (Java and Python alike) every identifier must match in full.
    identifier_pattern: str = DEFAULT_IDENTIFIER_PATTERN


def load_settings(env: str | None = None) -> Settings:
    """Settings of `env` (default: $SACCR_ENV, else local) from conf/settings.toml plus SACCR_* overrides."""
    env = env or os.environ.get(ENV_VAR) or DEFAULT_ENV
    path = conf_dir() / "settings.toml"
    raw = read_conf_toml(path, "settings file", SettingsError)
    envs = raw.get("env", {})
    if env not in envs:
        raise SettingsError(f"unknown environment {env!r} (from {ENV_VAR}); {path} defines {sorted(envs)}")
    values: dict[str, Any] = {**raw.get("default", {}), **envs[env]}
    known = {f.name for f in fields(Settings)} - {"env"}
    if unknown := sorted(set(values) - known):
        raise SettingsError(f"{path}: unknown settings {unknown} for environment {env!r}")
    if missing := sorted(known - set(values)):
        raise SettingsError(f"{path}: settings {missing} missing for environment {env!r}")
    values.update({key: os.environ[var] for var, key in ENV_OVERRIDES.items() if os.environ.get(var)})
    return _validated(env, values, path)


def _validated(env: str, values: dict[str, Any], path: Path) -> Settings:
    def required(key: str) -> str:
        value = str(values[key]).strip()
        if not value:
            var = next(v for v, k in ENV_OVERRIDES.items() if k == key)
            raise SettingsError(f"{key} is not set for environment {env!r}: set {var} (or {key} in {path})")
        return value

    def positive_int(key: str) -> int:
        value = values[key]
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SettingsError(f"{key} must be a whole number >= 1, got {value!r} (environment {env!r})")
        return value

    def share(key: str) -> float:
        try:
            value = float(values[key])
        except (TypeError, ValueError):
            value = -1.0
        if isinstance(values[key], bool) or not 0.0 <= value <= 1.0:
            raise SettingsError(
                f"{key} must be a number from 0 to 1, got {values[key]!r} (environment {env!r})"
            )
        return value

    def memory(key: str) -> str:
        value = str(values[key]).strip().lower()
        if not re.fullmatch(r"\d+[kmgt]", value):
            raise SettingsError(
                f"{key} must be a JVM size such as 4g or 512m, got {values[key]!r} (environment {env!r})"
            )
        return value

    def boolean(key: str) -> bool:
        value = values[key]
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise SettingsError(f"{key} must be true or false, got {value!r} (environment {env!r})")
        return value

    def pattern(key: str) -> str:
        value = required(key)
        try:
            re.compile(value)
        except re.error as exc:
            raise SettingsError(f"{key} is not a regular expression: {exc} (environment {env!r})") from exc
        return value

    cap = required("cap_vm_treatment").lower()
    if cap not in CAP_VM_TREATMENTS:
        raise SettingsError(
            f"cap_vm_treatment must be one of {CAP_VM_TREATMENTS}, got {cap!r} (environment {env!r})"
        )
    policy = required("incomplete_netting_sets").lower()
    if policy not in INCOMPLETE_NETTING_SET_POLICIES:
        raise SettingsError(
            f"incomplete_netting_sets must be one of {INCOMPLETE_NETTING_SET_POLICIES}, got {policy!r} "
            f"(environment {env!r})"
        )
    currency = required("reporting_currency").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise SettingsError(f"reporting_currency must be an ISO 4217 code such as USD, got {currency!r}")
    regime = required("regime")
    if not (conf_dir() / "regimes" / f"{regime}.toml").is_file():
        raise SettingsError(f"regime {regime!r} has no parameter file {conf_dir() / 'regimes'}/{regime}.toml")
    return Settings(
        env=env,
        lakehouse_root=_location(required("lakehouse_root")),
        landing_root=_location(required("landing_root")),
        spark_master=str(values["spark_master"]).strip() or None,
        delta_jar_dir=Path(_location(required("delta_jar_dir"))),
        reporting_currency=currency,
        regime=regime,
        bucket_count=positive_int("bucket_count"),
        shuffle_partitions=positive_int("shuffle_partitions"),
        max_rejected_share=share("max_rejected_share"),
        incomplete_netting_sets=policy,
        dq_columnar_cache_rows=positive_int("dq_columnar_cache_rows"),
        dq_gx_pandas_rows=positive_int("dq_gx_pandas_rows"),
        ir_offset=boolean("ir_offset"),
        cap_vm_treatment=cap,
        batch_dates=positive_int("batch_dates"),
        driver_memory=memory("driver_memory"),
        run_lease_minutes=positive_int("run_lease_minutes"),
        identifier_pattern=pattern("identifier_pattern"),
    )


def _location(value: str) -> str:
    """A URI unchanged; a local path made absolute, relative ones against the repository root."""
    if "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (REPO_ROOT / path).resolve())
