"""What the Airflow DAGs (dags/) ask of the pipeline, as plain functions: the business dates of a run, whether
a date's extracts have landed, the spark-submit arguments of the steps, and which failures not to retry.

No Airflow import and no calculation here: the DAG files call these, and the Spark steps (ingest, validate,
compute, publish, marts; steps/registry.py) do the work. Importing this module is cheap (standard library and
the settings loader), because DAG files import it while the scheduler parses them; anything heavier is
imported inside a function.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from saccr.errors import SaccrError
from saccr_pipeline.config.settings import Settings
from saccr_pipeline.errors import OrchestrationError
from saccr_pipeline.landing import LandingCheck, find_extracts

PYSPARK_PYTHON_VAR = "SACCR_PYSPARK_PYTHON"  # the Python of Spark's workers, when not this interpreter
# The last line of the traceback of a step that died of one of the pipeline's own errors (SaccrError and its
# subclasses: bad input, a failed data-quality gate, a misconfiguration), as spark-submit prints it.
_PIPELINE_ERROR_LINE = re.compile(r"^saccr(?:_pipeline)?(?:\.\w+)*\.(\w+Error): ", re.MULTILINE)
SUBMIT = Path(__file__).resolve().parent / "steps" / "submit.py"  # the spark-submit entry of every step

__all__ = ["LandingCheck", "find_extracts"]


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
    """Everything the Spark steps of one DAG run share, as the DAG passes it on (XCom holds plain values):
    the dates (one, or a range), the batch token of their run ids, roots and spark-submit options."""

    first: dt.date
    last: dt.date
    token: str
    lakehouse: str
    landing: str
    jars: str  # comma-separated, for spark-submit --jars
    spark_conf: Mapping[str, str]
    spark_env: Mapping[str, str]

    def as_xcom(self) -> dict[str, object]:
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "token": self.token,
            "lakehouse": self.lakehouse,
            "landing": self.landing,
            "jars": self.jars,
            "spark_conf": dict(self.spark_conf),
            "spark_env": dict(self.spark_env),
        }


def plan_run(first: dt.date, last: dt.date, settings: Settings, token: str | None = None) -> RunPlan:
    """A new run of the dates `first`..`last`: a fresh batch token (a rerun or restatement gets its own run
    ids), the lakehouse and landing roots, and the spark-submit options. Fails now, not in a Spark job,
    when the Delta jars or the step entry point are missing."""
    from saccr_pipeline.lakehouse.spark import delta_jars, session_conf
    from saccr_pipeline.run_ids import new_token

    if not SUBMIT.is_file():
        raise OrchestrationError(
            f"the pipeline's step entry point {SUBMIT} is missing: reinstall the project"
        )
    python = os.environ.get(PYSPARK_PYTHON_VAR) or sys.executable
    return RunPlan(
        first=first,
        last=last,
        token=token or new_token(),
        lakehouse=settings.lakehouse_root,
        landing=settings.landing_root,
        jars=",".join(str(jar) for jar in delta_jars(settings.delta_jar_dir)),
        spark_conf={
            **session_conf(settings),
            # The task log shows the step's own progress lines and Spark's warnings, not its INFO chatter.
            "spark.log.level": "WARN",
            "spark.ui.enabled": "false",  # a step is short; nobody browses its UI
            # Tables are addressed by path; keep the unused catalog warehouse out of the worker's directory.
            "spark.sql.warehouse.dir": f"{settings.lakehouse_root.rstrip('/')}/_spark_warehouse",
        },
        # Client mode (the default): spark-submit starts the driver here with these; the driver's own Python
        # and its executors' must have the project installed (same venv path on every worker).
        spark_env={"PYSPARK_PYTHON": python, "PYSPARK_DRIVER_PYTHON": python, "SACCR_ENV": settings.env},
    )
