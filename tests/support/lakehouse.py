"""Helpers of the pipeline tests: a landing folder of generated extracts, a job on the test session over a
temporary lakehouse, published gold as pandas, and frame comparisons that name the rows that differ."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql import SparkSession

from saccr.contract import EXTRACTS
from saccr.engine import EngineResult, compute
from saccr_pipeline.config.regimes import load_parameters
from saccr_pipeline.config.settings import load_settings
from saccr_pipeline.extracts import read_extract, write_extracts
from saccr_pipeline.lakehouse.run_log import RunLog
from saccr_pipeline.lakehouse.tables import current_version, read
from saccr_pipeline.steps.job import Job, job_for


def quiet(message: str) -> None:
    """A progress sink that prints nothing."""


def write_landing(root: Path, as_of: dt.date, frames: Mapping[str, pd.DataFrame], fmt: str = "csv") -> Path:
    """Extract files of one date under `root/<as_of>/`."""
    write_extracts(frames, root / as_of.isoformat(), fmt)
    return root


def make_job(
    spark: SparkSession, lakehouse: Path, landing: Path, buckets: int = 7, max_rejected_share: float = 0.05
) -> Job:
    settings = dataclasses.replace(
        load_settings(), lakehouse_root=str(lakehouse), landing_root=str(landing), bucket_count=buckets,
        max_rejected_share=max_rejected_share,
    )  # fmt: skip
    return job_for(spark, settings)


def run_date(job: Job, as_of: dt.date) -> str:
    """Run every step for `as_of` alone (as `saccr run --as-of` does); return its run id. It must publish."""
    from saccr_pipeline.run_ids import new_token
    from saccr_pipeline.steps.pipeline import run_dates

    summary = run_dates(job, [as_of], new_token(), progress=quiet)
    assert [o.status for o in summary.outcomes] == ["success"], summary.outcomes
    return summary.outcomes[0].run_id


def gold(job: Job, table: str, as_of: dt.date) -> pd.DataFrame:
    """The published rows of gold/<table> for `as_of` (the versions run_log marks as published)."""
    run = RunLog(job.lake).published(as_of)
    assert run is not None, f"nothing published for {as_of}"
    key = f"gold/{table}"
    return read(job.spark, job.lake, key, run.versions[key], as_of).toPandas()


def table(job: Job, key: str, as_of: dt.date | None = None) -> pd.DataFrame:
    """Table `key` at its current version (optionally one date) as pandas."""
    return read(job.spark, job.lake, key, current_version(job.lake, key), as_of).toPandas()


def engine_on_files(landing: Path, as_of: dt.date) -> EngineResult:
    """The engine alone on the landing files, as `saccr compute` runs it (reader rejections as prior ones)."""
    frames, rejected = {}, []
    for name in EXTRACTS:
        path = next((landing / as_of.isoformat()).glob(f"{name}.*"))
        frames[name], bad = read_extract(path, name)
        rejected.append(bad)
    return compute(
        **frames,
        as_of=as_of,
        params=load_parameters(as_of=as_of),
        prior_rejections=pd.concat(rejected, ignore_index=True),
    )


def assert_close(
    actual: pd.DataFrame, expected: pd.DataFrame, keys: Sequence[str], rtol: float = 1e-9, what: str = ""
) -> None:
    """Same keys on both sides; every shared column equal (floats within `rtol`, NaN == missing); the message
    names the first rows and columns that differ."""
    a = actual.set_index(list(keys)).sort_index()
    e = expected.set_index(list(keys)).sort_index()
    missing, extra = e.index.difference(a.index), a.index.difference(e.index)
    assert missing.empty and extra.empty, f"{what}: missing {list(missing[:5])}, extra {list(extra[:5])}"
    problems = []
    for column in [c for c in e.columns if c in a.columns]:
        x, y = a[column], e[column]
        if pd.api.types.is_float_dtype(y) or pd.api.types.is_float_dtype(x):
            xv, yv = x.to_numpy(dtype=float, na_value=np.nan), y.to_numpy(dtype=float, na_value=np.nan)
            bad = ~(np.isclose(xv, yv, rtol=rtol, atol=0.0) | (np.isnan(xv) & np.isnan(yv)))
        else:
            bad = ~((x.astype(object) == y.astype(object)) | (x.isna() & y.isna())).to_numpy()
        if bad.any():
            rows = a.index[bad][:3]
            sample = f"{list(x[bad][:3])} vs {list(y[bad][:3])}"
            problems.append(f"{column}: {int(bad.sum())} rows, e.g. {list(rows)}: {sample}")
    assert not problems, f"{what} differs:\n" + "\n".join(problems)
