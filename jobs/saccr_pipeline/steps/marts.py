"""Marts: the reporting tables regulatory reporting reads, built from a date's published gold results.

- `gold/mart_counterparty`: totals per counterparty and legal entity of the bank facing it (netting sets,
  trades, V, C, RC, PFE, add-on, EAD).
- `gold/mart_legal_entity`: the same per legal entity (collateral's `legal_entity`, the booking entity).
- `gold/mart_asset_class`: add-on per asset class, from the hedging sets.
- `gold/mart_ead_movement`: day-over-day EAD change per netting set against the previous published business
  date: NEW (not there before), MATURED (gone: every trade matured or the set was dropped) or CONTINUING;
  the change is split into an RC part and a PFE part (see :func:`ead_parts`).

Gold is read at the versions recorded for the run (never at the latest version), so marts show exactly
what was published. Each mart is one replaceWhere commit of the date.

Entry point: `python -m saccr_pipeline.steps.marts --as-of DATE --run-id RUN_ID`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from saccr_pipeline.lakehouse.run_log import Published, StepRecord
from saccr_pipeline.lakehouse.tables import Commit, Lakehouse, read, replace_date

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from saccr_pipeline.lakehouse.run_log import RunContext
    from saccr_pipeline.steps.job import Job


def _published_netting_sets(spark: SparkSession, lake: Lakehouse, run: Published) -> DataFrame:
    from pyspark.sql import functions as F

    key = "gold/saccr_netting_set"
    return read(spark, lake, key, run.versions[key], run.as_of).where(F.col("run_id") == run.run_id)


def ead_parts(ns: DataFrame) -> DataFrame:
    """Netting sets with `ead_rc` and `ead_pfe`, EAD split in the proportion of the RC and PFE that set it.

    EAD = alpha * (RC + PFE) (CRE52.1), where for a margined set whose unmargined cap binds (CRE52.2) RC and
    PFE are the unmargined ones (rc_unmargined, multiplier_unmargined * addon_unmargined). Splitting EAD in
    that proportion gives ead_rc + ead_pfe = EAD exactly, without restating alpha."""
    from pyspark.sql import functions as F

    rc = F.when(F.col("cap_binding"), F.col("rc_unmargined")).otherwise(F.col("rc"))
    pfe = F.when(F.col("cap_binding"), F.col("multiplier_unmargined") * F.col("addon_unmargined")).otherwise(
        F.col("pfe")
    )
    share = F.when(rc + pfe > 0, rc / (rc + pfe)).otherwise(F.lit(0.0))
    return ns.withColumn("ead_rc", F.col("ead") * share).withColumn("ead_pfe", F.col("ead") - F.col("ead_rc"))


def _totals() -> list[Column]:
    from pyspark.sql import functions as F

    return [
        F.count("*").alias("netting_set_count"),
        F.sum((~F.col("complete")).cast("long")).alias("incomplete_netting_set_count"),
        F.sum("trade_count").alias("trade_count"),
        *[F.sum(c).alias(c) for c in ("v", "c", "rc", "pfe", "addon_aggregate", "ead")],
    ]


def counterparty_mart(ns: DataFrame) -> DataFrame:
    """Totals per counterparty and the legal entity facing it."""
    return ns.groupBy("as_of_date", "counterparty_id", "legal_entity", "run_id").agg(*_totals())


def legal_entity_mart(ns: DataFrame) -> DataFrame:
    """Totals per legal entity of the bank."""
    from pyspark.sql import functions as F

    return ns.groupBy("as_of_date", "legal_entity", "run_id").agg(
        F.countDistinct("counterparty_id").alias("counterparty_count"), *_totals()
    )


def asset_class_mart(hs: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return hs.groupBy("as_of_date", "asset_class", "run_id").agg(
        F.countDistinct("netting_set_id").alias("netting_set_count"),
        F.count("*").alias("hedging_set_count"),
        F.sum("trade_count").alias("trade_count"),
        F.sum("addon").alias("addon"),
        F.sum("addon_unmargined").alias("addon_unmargined"),
    )


def movement_mart(
    current: DataFrame, previous: DataFrame | None, as_of: dt.date, run_id: str, previous_run_id: str | None
) -> DataFrame:
    """EAD change per netting set from the previous published date (`previous` None: every set is NEW)."""
    from pyspark.sql import functions as F

    keep = [
        "netting_set_id",
        "counterparty_id",
        "as_of_date",
        "run_id",
        "ead",
        "ead_rc",
        "ead_pfe",
        "rc",
        "pfe",
    ]
    cur = ead_parts(current).select(*keep)
    if previous is None:
        previous = current.limit(0)
    prev = ead_parts(previous).select(*[F.col(c).alias(f"p_{c}") for c in keep])
    both = cur.join(prev, cur["netting_set_id"] == prev["p_netting_set_id"], "full_outer")

    def change(name: str) -> Column:
        return F.coalesce(F.col(name), F.lit(0.0)) - F.coalesce(F.col(f"p_{name}"), F.lit(0.0))

    return both.select(
        F.lit(as_of).alias("as_of_date"),
        F.coalesce("netting_set_id", "p_netting_set_id").alias("netting_set_id"),
        F.col("p_as_of_date").alias("previous_as_of_date"),
        F.coalesce("counterparty_id", "p_counterparty_id").alias("counterparty_id"),
        F.when(F.col("p_netting_set_id").isNull(), "NEW")
        .when(F.col("netting_set_id").isNull(), "MATURED")
        .otherwise("CONTINUING")
        .alias("movement"),
        F.col("p_ead").alias("ead_previous"),
        F.col("ead"),
        change("ead").alias("ead_change"),
        change("ead_rc").alias("ead_change_rc"),
        change("ead_pfe").alias("ead_change_pfe"),
        F.col("p_rc").alias("rc_previous"),
        F.col("rc"),
        F.col("p_pfe").alias("pfe_previous"),
        F.col("pfe"),
        F.lit(run_id).alias("run_id"),
        F.lit(previous_run_id).cast("string").alias("previous_run_id"),
    )


def build_marts(
    spark: SparkSession,
    lake: Lakehouse,
    run: Published,
    previous: Published | None,
) -> dict[str, Commit]:
    """Write the four marts of `run.as_of` from the gold versions `run` names; `previous` is the previous
    business date's published run (None for the first date)."""
    from pyspark.sql import functions as F

    ns = _published_netting_sets(spark, lake, run)
    hs_key = "gold/saccr_hedging_set"
    hs = read(spark, lake, hs_key, run.versions[hs_key], run.as_of).where(F.col("run_id") == run.run_id)
    prev = _published_netting_sets(spark, lake, previous) if previous else None
    marts = {
        "mart_counterparty": counterparty_mart(ns),
        "mart_legal_entity": legal_entity_mart(ns),
        "mart_asset_class": asset_class_mart(hs),
        "mart_ead_movement": movement_mart(
            ns, prev, run.as_of, run.run_id, previous.run_id if previous else None
        ),
    }
    meta = {"run_id": run.run_id, "step": "marts"}
    return {
        name: replace_date(df, spark, lake, f"gold/{name}", run.as_of, meta) for name, df in marts.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    from saccr_pipeline.steps.job import step_main

    def body(job: Job, args: argparse.Namespace, ctx: RunContext, record: StepRecord) -> None:
        from saccr_pipeline.lakehouse.run_log import previous_published, published

        run = published(job.spark, job.lake, args.as_of)
        if run is None or run.run_id != ctx.run_id:
            raise SystemExit(f"run {ctx.run_id} is not the published run of {args.as_of}: publish it first")
        previous = previous_published(job.spark, job.lake, args.as_of)
        record_marts(record, run, previous, build_marts(job.spark, job.lake, run, previous))

    return step_main("marts", __doc__, body, argv, "the run id whose publish step the marts read")


def record_marts(
    record: StepRecord, run: Published, previous: Published | None, commits: Mapping[str, Commit]
) -> None:
    """Put the marts' inputs (the published gold versions) and outputs into their run_log step record."""
    record.input_versions |= {k: v for k, v in run.versions.items() if k.startswith("gold/")}
    if previous:
        record.input_versions["gold/saccr_netting_set@previous"] = previous.versions["gold/saccr_netting_set"]
    for name, commit in commits.items():
        record.output_versions[f"gold/{name}"] = commit.version
        record.counts[f"gold.{name}"] = commit.rows


if __name__ == "__main__":
    sys.exit(main())
