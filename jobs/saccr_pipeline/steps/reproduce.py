"""Reproduce a past run: recompute it from the input versions its run_log rows recorded (Delta time travel),
with its regime, parameter version and options, and compare the result with the gold rows it published.

Differences are rows missing on one side, or values that differ beyond a relative tolerance (float sums may
legitimately differ in the last bits); text, flags and counts must match exactly. The parameter version must
be the recorded one (a different one cannot reproduce anything); a different code version is reported, since
finding out whether new code changes old numbers is one reason to reproduce.

Entry point: `saccr reproduce RUN_ID`; exit 1 on differences.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from saccr.engine import CalculationOptions
from saccr_pipeline.config.regimes import load_parameters
from saccr_pipeline.errors import ReproduceError
from saccr_pipeline.lakehouse.run_log import RunLog, code_version
from saccr_pipeline.lakehouse.tables import GOLD_RESULTS, read, remove_path
from saccr_pipeline.steps.compute import INPUTS, compute_to_staging, staged
from saccr_pipeline.steps.publish import gold_rows

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

    from saccr_pipeline.steps.job import Job

KEYS = {
    "saccr_trade": ("netting_set_id", "trade_id"),
    "saccr_hedging_set": ("netting_set_id", "asset_class", "hedging_set"),
    "saccr_netting_set": ("netting_set_id",),
}
RTOL = 1e-9


@dataclass
class Reproduction:
    run_id: str
    as_of: object
    code_version_then: str
    code_version_now: str
    rows_compared: dict[str, int] = field(default_factory=dict)
    rows_different: dict[str, int] = field(default_factory=dict)
    samples: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return not any(self.rows_different.values())


def reproduce(job: Job, run_id: str, rtol: float = RTOL, sample: int = 10) -> Reproduction:
    """Recompute run `run_id` from its recorded inputs and compare with its published gold rows."""
    from pyspark.sql import functions as F

    spark, lake = job.spark, job.lake
    steps = RunLog(lake).run_steps(run_id)
    for step in ("compute", "publish"):
        if step not in steps or steps[step].status != "success":
            raise ReproduceError(
                f"run {run_id} has no successful {step} step in run_log; nothing to reproduce"
            )
    computed, published = steps["compute"], steps["publish"]
    recorded = RunLog(lake).latest([run_id])  # the compute row's context: regime, options, code version
    row = recorded[recorded["step"] == "compute"].iloc[-1]
    as_of = row["as_of_date"]
    params = load_parameters(row["regime"], as_of)
    if params.version != row["parameter_version"]:
        raise ReproduceError(
            f"run {run_id} used parameter version {row['parameter_version']} of regime {row['regime']}, "
            f"conf/regimes now holds {params.version}: check out the parameter file of that version"
        )
    options_then = json.loads(row["options"])
    # an option a run of an older version did not record takes its default (it did not exist then)
    fields = [f.name for f in dataclasses.fields(CalculationOptions) if f.name in options_then]
    options = CalculationOptions(**{name: options_then[name] for name in fields})
    result = Reproduction(run_id, as_of, row["code_version"], code_version())
    staging = f"{lake.staging(f'reproduce-{run_id}-{uuid.uuid4().hex[:6]}')}/engine"
    try:
        versions = {as_of: {key: computed.input_versions[key] for key in INPUTS}}
        compute_to_staging(
            spark,
            lake,
            versions,
            {as_of: run_id},
            lambda _: params,
            options,
            int(options_then["bucket_count"]),
            staging,
        )
        rows = staged(spark, staging, [as_of])
        for table in GOLD_RESULTS:
            key = f"gold/{table}"
            before = read(spark, lake, key, published.output_versions[key], as_of).where(
                F.col("run_id") == run_id
            )
            diff = differences(before, gold_rows(rows, table, F.lit(run_id)), KEYS[table], rtol)
            result.rows_compared[table] = before.count()
            result.rows_different[table] = diff.count()
            if result.rows_different[table]:
                result.samples[table] = diff.limit(sample).toPandas()
    finally:
        remove_path(spark, staging.rsplit("/", 1)[0])
    return result


def differences(published: DataFrame, reproduced: DataFrame, keys: Sequence[str], rtol: float) -> DataFrame:
    """Rows (by `keys`) missing on one side or with a value that differs, naming the columns that differ."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType

    compared = [f for f in published.schema.fields if f.name not in (*keys, "as_of_date", "run_id")]
    p = published.select(
        *keys, F.lit(True).alias("_p"), *[F.col(f.name).alias(f"p_{f.name}") for f in compared]
    )
    r = reproduced.select(
        *keys, F.lit(True).alias("_r"), *[F.col(f.name).alias(f"r_{f.name}") for f in compared]
    )
    both = p.join(r, list(keys), "full_outer")

    def differs(name: str, is_double: bool):  # noqa: ANN202 - a pyspark Column
        a, b = F.col(f"p_{name}"), F.col(f"r_{name}")
        if not is_double:
            return ~a.eqNullSafe(b)
        missing_a, missing_b = a.isNull() | F.isnan(a), b.isNull() | F.isnan(b)
        close = F.abs(a - b) <= F.lit(rtol) * F.greatest(F.abs(a), F.abs(b)) + F.lit(1e-300)
        return (missing_a != missing_b) | (~missing_a & ~missing_b & ~close)

    columns = F.filter(
        F.array(
            *[F.when(differs(f.name, isinstance(f.dataType, DoubleType)), F.lit(f.name)) for f in compared]
        ),
        lambda c: c.isNotNull(),
    )
    return both.select(
        *keys,
        F.when(F.col("_p").isNull(), "missing in published")
        .when(F.col("_r").isNull(), "missing in reproduction")
        .otherwise("values differ")
        .alias("difference"),
        columns.alias("columns"),
        *[c for f in compared for c in (f"p_{f.name}", f"r_{f.name}")],
    ).where(F.col("_p").isNull() | F.col("_r").isNull() | (F.size(columns) > 0))


def report(result: Reproduction) -> str:
    lines = [f"reproduce {result.run_id} (as of {result.as_of})"]
    if result.code_version_then != result.code_version_now:
        lines.append(f"  code version then {result.code_version_then}, now {result.code_version_now}")
    for table, n in result.rows_compared.items():
        lines.append(f"  {table:<18} {n:>10,} rows compared, {result.rows_different[table]:,} different")
        if table in result.samples:
            sample = result.samples[table]
            shown = [*KEYS[table], "difference", "columns"]
            lines.append("    " + sample[shown].to_string(index=False).replace("\n", "\n    "))
    lines.append("identical" if result.identical else "DIFFERENCES FOUND")
    return "\n".join(lines)
