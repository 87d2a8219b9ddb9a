"""What the Airflow DAGs (dags/) ask of the pipeline, as plain functions: the business date of a run, the
holiday calendar, whether a date's extracts have landed, and the spark-submit arguments of each step.

No Airflow import and no calculation here: the DAG files call these, and the Spark steps (ingest, validate,
compute, publish, ...) do the work. Importing this module is cheap (standard library and the settings loader),
because DAG files import it while the scheduler parses them; anything heavier is imported inside a function.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from saccr.errors import SaccrError
from saccr_pipeline.config.regimes import conf_dir
from saccr_pipeline.config.settings import Settings

# DAG task -> module of jobs/saccr_pipeline/ run by spark-submit (each has `main(argv)` and takes
# --as-of, --run-id, --lakehouse, --landing; ingest also --extract).
STEP_MODULES: Mapping[str, str] = {
    "ingest": "ingest",
    "validate": "validate",  # the GX suites between bronze and silver, quarantine, dq_results
    "compute": "compute",
    "publish": "publish",
    "marts": "marts",
    "summarise": "run_summary",  # closes the run in audit/run_log (steps ran as separate jobs)
}
DELTA_CONF: Mapping[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
PYSPARK_PYTHON_VAR = "SACCR_PYSPARK_PYTHON"  # the Python of Spark's workers, when not this interpreter
# The last line of the traceback of a step that died of one of the pipeline's own errors (SaccrError and its
# subclasses: bad input, a failed data-quality gate, a misconfiguration), as spark-submit prints it.
_PIPELINE_ERROR_LINE = re.compile(r"^saccr(?:_pipeline)?(?:\.\w+)*\.(\w+Error): ", re.MULTILINE)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class OrchestrationError(SaccrError):
    """A run cannot be planned: no business date, a calendar that does not cover it, a step not installed."""


# ------------------------------------------------------------------------------------------ calendar


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekdays minus the listed holidays, for the years `first_year`..`last_year` (conf/holidays.toml)."""

    name: str
    first_year: int
    last_year: int
    holidays: Mapping[dt.date, str] = field(default_factory=dict)

    def closed_reason(self, day: dt.date) -> str | None:
        """Why `day` is not a business date ("Saturday", "Christmas Day (TARGET2)"), or None if it is one."""
        if not self.first_year <= day.year <= self.last_year:
            raise OrchestrationError(
                f"the {self.name} holiday calendar covers {self.first_year}-{self.last_year}, not {day}: "
                f"add the holidays of {day.year} to {calendar_path()} and raise first_year/last_year"
            )
        if day.weekday() >= 5:
            return WEEKDAYS[day.weekday()]
        if day in self.holidays:
            return f"{self.holidays[day]} ({self.name})"
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return self.closed_reason(day) is None

    def previous_business_day(self, day: dt.date) -> dt.date:
        """The latest business date before `day` (the date a day-over-day movement compares with)."""
        day -= dt.timedelta(days=1)
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day

    def business_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Business dates from `first` to `last`, both included (what a backfill of that range publishes)."""
        days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
        return [d for d in days if self.is_business_day(d)]


def calendar_path() -> Path:
    return conf_dir() / "holidays.toml"


def load_calendar(path: Path | None = None) -> BusinessCalendar:
    """Read and validate the holiday calendar (default conf/holidays.toml)."""
    path = path or calendar_path()
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise OrchestrationError(f"holiday calendar {path} not found (SACCR_CONF_DIR={conf_dir()})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OrchestrationError(f"{path}: not valid TOML: {exc}") from exc
    try:
        name, first, last = str(raw["name"]), int(raw["first_year"]), int(raw["last_year"])
        entries = [(entry["date"], str(entry["name"])) for entry in raw.get("holidays", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise OrchestrationError(
            f"{path}: needs name, first_year, last_year and "
            f"holidays = [{{date = YYYY-MM-DD, name = ...}}]: {exc!r}"
        ) from exc
    holidays: dict[dt.date, str] = {}
    for day, label in entries:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise OrchestrationError(f"{path}: holiday {label!r} has date {day!r}; write a bare TOML date")
        if not first <= day.year <= last:
            raise OrchestrationError(f"{path}: holiday {day} ({label}) is outside {first}-{last}")
        holidays[day] = label
    return BusinessCalendar(name, first, last, holidays)


# ----------------------------------------------------------------------------------- business date


def business_date(as_of_param: str | None, data_interval_start: dt.datetime | None, timezone: str) -> dt.date:
    """The business date of a run: the `as_of_date` param when given (manual reruns and restatements), else
    the date of the data interval's start in `timezone`. Never the logical date: with a data-interval
    timetable a manual run's logical date is the end of its interval, a day later."""
    if as_of_param:
        try:
            return dt.date.fromisoformat(str(as_of_param))
        except ValueError as exc:
            raise OrchestrationError(f"as_of_date {as_of_param!r} is not an ISO date YYYY-MM-DD") from exc
    if data_interval_start is None:
        raise OrchestrationError(
            "this run has no data interval (triggered without a logical date): trigger it with the conf "
            '{"as_of_date": "YYYY-MM-DD"}'
        )
    return data_interval_start.astimezone(ZoneInfo(timezone)).date()


# ------------------------------------------------------------------------------------------- landing


@dataclass(frozen=True)
class LandingCheck:
    """Which extracts of a date are in its landing folder."""

    folder: str
    found: Mapping[str, str]  # extract -> file
    missing: tuple[str, ...]
    ambiguous: Mapping[str, tuple[str, ...]]  # extract -> several files; ingest accepts exactly one

    @property
    def complete(self) -> bool:
        return not self.missing and not self.ambiguous

    def describe(self) -> str:
        if self.complete:
            return f"all {len(self.found)} extracts are in {self.folder}"
        problems = [f"missing {name}.csv or {name}.parquet" for name in self.missing]
        problems += [
            f"{name}: several files {list(files)}, keep one" for name, files in self.ambiguous.items()
        ]
        return f"{self.folder}: " + "; ".join(problems)


def check_landing(landing_root: str, as_of: dt.date) -> LandingCheck:
    """Look for every extract of `as_of` where the ingest step will read it (`<landing_root>/<YYYY-MM-DD>/
    <extract>.csv|.parquet|.pq`). Local folders and file:// are read directly; other URIs through fsspec (its
    driver for the scheme must be installed)."""
    from saccr.contract import EXTRACTS
    from saccr_pipeline.steps.ingest import SUFFIXES, landing_dir

    folder = landing_dir(landing_root, as_of)
    exists = _exists_function(folder)
    found, missing, ambiguous = {}, [], {}
    for name in EXTRACTS:
        files = tuple(f"{folder}/{name}{suffix}" for suffix in SUFFIXES)
        present = tuple(f for f in files if exists(f))
        if not present:
            missing.append(name)
        elif len(present) > 1:
            ambiguous[name] = present
        else:
            found[name] = present[0]
    return LandingCheck(folder, found, tuple(missing), ambiguous)


def _exists_function(folder: str):  # noqa: ANN202 - returns a path -> bool predicate
    if "://" not in folder or folder.startswith("file://"):
        return lambda path: Path(path.removeprefix("file://")).is_file()
    import fsspec

    try:
        fs, _ = fsspec.core.url_to_fs(folder)
    except (ImportError, ValueError) as exc:
        raise OrchestrationError(
            f"cannot look into {folder} from Airflow: install the fsspec driver for its scheme "
            f"(s3fs for s3://, adlfs for abfss://): {exc}"
        ) from exc
    return fs.isfile


# ------------------------------------------------------------------------------------- spark-submit


def pipeline_error(exception: BaseException) -> str | None:
    """The class name of the pipeline error (a SaccrError: bad input, a failed data-quality gate, a
    misconfiguration) a task died of: raised in the task itself, or named in the output of the Spark step
    that `exception` reports; None for anything else (a lost executor, an I/O error, a Delta commit
    conflict), which may be transient. Retrying cannot fix the former."""
    if isinstance(exception, SaccrError):
        return type(exception).__name__
    found = _PIPELINE_ERROR_LINE.findall(str(exception))
    return found[-1] if found else None


@dataclass(frozen=True)
class RunPlan:
    """Everything the Spark steps of one run share, as the DAG passes it on (XCom holds plain values)."""

    as_of: dt.date
    run_id: str
    lakehouse: str
    landing: str
    jars: str  # comma-separated, for spark-submit --jars
    spark_conf: Mapping[str, str]
    spark_env: Mapping[str, str]

    def as_xcom(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "run_id": self.run_id,
            "lakehouse": self.lakehouse,
            "landing": self.landing,
            "jars": self.jars,
            "spark_conf": dict(self.spark_conf),
            "spark_env": dict(self.spark_env),
        }


def plan_run(as_of: dt.date, settings: Settings, run_id: str | None = None) -> RunPlan:
    """A new run of `as_of`: a fresh run id (a rerun or restatement of the date gets its own), the lakehouse
    and landing roots, and the spark-submit options. Fails now, not in the fifth Spark job, when the Delta
    jars or a step module are missing."""
    from saccr_pipeline.lakehouse.run_log import new_run_id
    from saccr_pipeline.lakehouse.spark import delta_jars

    missing = [step for step in STEP_MODULES if not Path(step_application(step)).is_file()]
    if missing:
        raise OrchestrationError(
            f"pipeline steps {missing} have no module in {Path(step_application('ingest')).parent}: "
            "reinstall the project (pip install -e .)"
        )
    python = os.environ.get(PYSPARK_PYTHON_VAR) or sys.executable
    return RunPlan(
        as_of=as_of,
        run_id=run_id or new_run_id(as_of),
        lakehouse=settings.lakehouse_root,
        landing=settings.landing_root,
        jars=",".join(str(jar) for jar in delta_jars(settings.delta_jar_dir)),
        spark_conf={
            **DELTA_CONF,
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
            # The task log shows the step's own progress lines and Spark's warnings, not its INFO chatter.
            "spark.log.level": "WARN",
            "spark.ui.showConsoleProgress": "false",
            # Tables are addressed by path; keep the unused catalog warehouse out of the worker's directory.
            "spark.sql.warehouse.dir": f"{settings.lakehouse_root.rstrip('/')}/_spark_warehouse",
        },
        # Client mode (the default): spark-submit starts the driver here with these; the driver's own Python
        # and its executors' must have the project installed (same venv path on every worker).
        spark_env={"PYSPARK_PYTHON": python, "PYSPARK_DRIVER_PYTHON": python, "SACCR_ENV": settings.env},
    )


def step_application(step: str) -> str:
    """The file spark-submit runs for a DAG step: the step module of the installed saccr_pipeline package."""
    if step not in STEP_MODULES:
        raise OrchestrationError(f"unknown pipeline step {step!r}; expected one of {sorted(STEP_MODULES)}")
    return str(Path(__file__).resolve().parent / f"{STEP_MODULES[step]}.py")
