"""audit/run_log: one append-only row per run step, the record that makes every published number reproducible.

A step row holds the Delta version of every table the step read and wrote, its row counts, its timing and
status; the `run` row of a run sums them up (all versions, counts and `step_seconds`). The `publish` row is
the commit point of a date: readers of gold and the marts read the versions the latest successful publish
row of the date names (:meth:`RunLog.published`), never a table's latest version, so they never see a date
half-written.

The run log is read and appended with delta-rs (the `deltalake` package), not Spark: bookkeeping needs no
JVM, so the command line answers questions about runs in a second and the run summary of the Airflow DAG
starts no Spark application. A run id is `<yyyymmdd of its date>-<batch token>`: the runs of one batch (a
range of dates run together) share the token, and a run id alone names its date's partition.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING

from saccr_pipeline.config.regimes import REPO_ROOT
from saccr_pipeline.errors import RunStateError
from saccr_pipeline.lakehouse.tables import Lakehouse, delta_log
from saccr_pipeline.run_ids import date_of_run

if TYPE_CHECKING:
    import deltalake
    import pandas as pd
    import pyarrow as pa

RUN_LOG = "audit/run_log"
RUN_STEP = "run"  # the row that closes a run of one date


def code_version() -> str:
    """`git describe` of the checkout when there is one (with -dirty for local changes), else the package
    version that is installed."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return f"git:{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        try:
            return f"package:{metadata.version('saccr-pipeline')}"
        except metadata.PackageNotFoundError:
            return "unknown"


@dataclass(frozen=True)
class RunContext:
    """What every row of one run shares."""

    run_id: str
    as_of: dt.date
    regime: str  # conf/regimes/<regime>.toml
    parameter_version: str
    reporting_currency: str
    options: Mapping[str, object]  # engine options, bucket count, Spark master
    code_version: str = field(default_factory=code_version)


@dataclass
class StepRecord:
    """What one step did for one date; filled while it runs."""

    step: str
    input_versions: dict[str, int] = field(default_factory=dict)
    output_versions: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    step_seconds: dict[str, float] = field(default_factory=dict)
    status: str = "running"
    error: str | None = None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ended_at: dt.datetime | None = None
    seconds: float = 0.0

    def fail(self, error: BaseException | str) -> None:
        """Mark the step failed with `error` (an exception is kept as `<class>: <message>`)."""
        self.status = "failed"
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.error = text[:4000]

    @classmethod
    def of_row(cls, row: Mapping[str, object]) -> StepRecord:
        """A record as the run log holds it."""

        def mapping(name: str) -> dict:
            return dict(row[name] or ())

        return cls(
            step=str(row["step"]),
            input_versions=mapping("input_versions"),
            output_versions=mapping("output_versions"),
            counts=mapping("counts"),
            step_seconds=mapping("step_seconds"),
            status=str(row["status"]),
            error=row["error"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            seconds=float(row["seconds"] or 0.0),
        )


@dataclass(frozen=True)
class Published:
    """The run whose results a date shows, and the versions of the tables it published."""

    as_of: dt.date
    run_id: str
    versions: Mapping[str, int]


class RunLog:
    """audit/run_log of one lakehouse, through delta-rs."""

    def __init__(self, lake: Lakehouse) -> None:
        self.lake = lake

    # ------------------------------------------------------------------------------------------ writes

    def append(
        self, rows: Sequence[tuple[RunContext, StepRecord]], on_top_of: deltalake.DeltaTable | None = None
    ) -> int | None:
        """Append one row per (context, record) in one commit; return the run_log version committed.

        With `on_top_of` (the run_log as read at some version) the commit is conditional: it lands right on
        that version or not at all (None), so what the caller checked in it still holds (lakehouse.lease)."""
        from deltalake import CommitProperties, write_deltalake
        from deltalake.exceptions import CommitFailedError

        if not rows:
            raise ValueError("RunLog.append needs at least one row")
        table = on_top_of if on_top_of is not None else delta_log(self.lake, RUN_LOG)
        now = dt.datetime.now(dt.UTC)
        data = _arrow([_row(ctx, record, now) for ctx, record in rows], table)
        run_ids = sorted({ctx.run_id for ctx, _ in rows})
        steps = sorted({record.step for _, record in rows})
        meta = {"commit": uuid.uuid4().hex, "run_ids": run_ids, "step": ",".join(steps)}
        retries = {} if on_top_of is None else {"max_commit_retries": 0}
        try:
            write_deltalake(
                table,
                data,
                mode="append",
                commit_properties=CommitProperties(
                    custom_metadata={"userMetadata": json.dumps(meta)}, **retries
                ),
            )
        except CommitFailedError:
            if on_top_of is None:
                raise
            return None
        return int(table.version())

    # ------------------------------------------------------------------------------------------- reads

    def rows(self, dates: Iterable[dt.date] | None = None) -> pd.DataFrame:
        """Every row (of `dates` only, when given), ordered by `logged_at`."""
        filters = None
        if dates is not None:
            days = sorted(set(dates))
            if not days:
                return self._empty()
            filters = [("as_of_date", "in", days)]
        frame = delta_log(self.lake, RUN_LOG).to_pandas(filters=filters)
        return frame.sort_values("logged_at", kind="stable", ignore_index=True)

    def _empty(self) -> pd.DataFrame:
        return delta_log(self.lake, RUN_LOG).to_pandas().iloc[0:0]

    def latest(self, run_ids: Iterable[str]) -> pd.DataFrame:
        """The latest row of each step of each of `run_ids` (ordered by `logged_at`)."""
        run_ids = sorted(set(run_ids))
        frame = self.rows(date_of_run(r) for r in run_ids)
        frame = frame[frame["run_id"].isin(run_ids)]
        return frame.drop_duplicates(["run_id", "step"], keep="last").reset_index(drop=True)

    def steps_of(self, run_ids: Iterable[str]) -> dict[str, dict[str, StepRecord]]:
        """The latest row of each step of each run (`run_id` -> step -> record); {} for a run without rows."""
        run_ids = sorted(set(run_ids))
        out: dict[str, dict[str, StepRecord]] = {r: {} for r in run_ids}
        for row in self.latest(run_ids).to_dict("records"):
            out[row["run_id"]][row["step"]] = StepRecord.of_row(row)
        return out

    def run_steps(self, run_id: str) -> dict[str, StepRecord]:
        """The latest row of each step of `run_id`; RunStateError if the run has none."""
        steps = self.steps_of([run_id])[run_id]
        if not steps:
            raise RunStateError(f"run {run_id!r} is not in {self.lake.path(RUN_LOG)}")
        return steps

    def published(self, as_of: dt.date, step: str = "publish") -> Published | None:
        """The latest successful `step` (publish: gold results; marts: the marts) of `as_of`, or None."""
        return published_in(self.rows([as_of]), step).get(as_of)

    def published_runs(self, step: str = "publish") -> dict[dt.date, Published]:
        """`published` of every date, from one read of the run log."""
        return published_in(self.rows(), step)

    def published_dates(self, before: dt.date | None = None) -> list[dt.date]:
        """Every date with a successful publish row (only those before `before`, when given), ascending."""
        frame = delta_log(self.lake, RUN_LOG).to_pandas(
            columns=["as_of_date", "step", "status"],
            filters=[("step", "=", "publish"), ("status", "=", "success")],
        )
        days = sorted(set(frame["as_of_date"]))
        return [d for d in days if before is None or d < before]

    def previous_published(self, as_of: dt.date) -> Published | None:
        """The published results of the latest date before `as_of` (the previous business date), or None."""
        days = self.published_dates(before=as_of)
        return self.published(days[-1]) if days else None


def published_in(rows: pd.DataFrame, step: str = "publish") -> dict[dt.date, Published]:
    """Per date of `rows` (run-log rows ordered by `logged_at`), its latest successful `step`."""
    done = rows[(rows["step"] == step) & (rows["status"] == "success")]
    latest = done.drop_duplicates("as_of_date", keep="last")
    return {
        r["as_of_date"]: Published(r["as_of_date"], str(r["run_id"]), dict(r["output_versions"] or ()))
        for r in latest.to_dict("records")
    }


def _row(ctx: RunContext, record: StepRecord, now: dt.datetime) -> dict[str, object]:
    return {
        "as_of_date": ctx.as_of,
        "run_id": ctx.run_id,
        "step": record.step,
        "status": record.status,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "seconds": float(record.seconds),
        "regime": ctx.regime,
        "parameter_version": ctx.parameter_version,
        "reporting_currency": ctx.reporting_currency,
        "code_version": ctx.code_version,
        "options": json.dumps(dict(ctx.options), sort_keys=True, default=str),
        "input_versions": [(k, int(v)) for k, v in record.input_versions.items()],
        "output_versions": [(k, int(v)) for k, v in record.output_versions.items()],
        "counts": [(k, int(v)) for k, v in record.counts.items()],
        "step_seconds": [(k, float(v)) for k, v in record.step_seconds.items()],
        "error": record.error,
        "logged_at": now,
    }


def _arrow(rows: list[dict[str, object]], table: object) -> pa.Table:
    """`rows` in the run log's own Arrow schema (the one the Delta log holds, nullability included)."""
    import pyarrow as pa

    schema = pa.schema(table.schema().to_arrow())  # type: ignore[attr-defined]
    return pa.Table.from_pylist(rows, schema=schema)
