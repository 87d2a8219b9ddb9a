"""Marts: the reporting tables regulatory reporting reads, built from a date's published gold results.

- `gold/mart_counterparty`: totals per counterparty and legal entity of the bank facing it (netting sets,
  trades, V, C, RC, PFE, add-on, EAD).
- `gold/mart_legal_entity`: the same per legal entity (collateral's `legal_entity`, the booking entity).
- `gold/mart_asset_class`: add-on per asset class, from the hedging sets.
- `gold/mart_ead_movement`: day-over-day EAD change per netting set against the previous published business
  date: NEW (not there before), MATURED (gone: every trade matured or the set was dropped) or CONTINUING;
  the change is split into an RC part and a PFE part (see :func:`ead_parts`).

Gold is read at the versions recorded for the run (never at the latest version), so marts show exactly
what was published. Each mart is one replaceWhere commit for all dates of a batch; a date's movement is
taken against the latest date published before it, which may be in the same batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from saccr_pipeline.lakehouse.run_log import Published, RunLog
from saccr_pipeline.lakehouse.tables import Commit, Lakehouse, read_dates, replace_dates
from saccr_pipeline.steps.batch import DateRun, Progress, commit_metadata, dates_of

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from saccr_pipeline.steps.job import Job


def run(job: Job, runs: Sequence[DateRun], progress: Progress) -> None:
    """Build the marts of every date of `runs` from the gold versions its publish step wrote."""
    published = {
        r.as_of: Published(r.as_of, r.run_id, dict(r.before["publish"].output_versions)) for r in runs
    }
    previous = previous_runs(job.run_log, dates_of(runs))
    commits = build_marts(job.spark, job.lake, published, previous, commit_metadata(runs, "marts"))
    for r in runs:
        r.record.input_versions |= {
            k: v for k, v in published[r.as_of].versions.items() if k.startswith("gold/")
        }
        before = previous.get(r.as_of)
        if before:
            r.record.input_versions["gold/saccr_netting_set@previous"] = before.versions[
                "gold/saccr_netting_set"
            ]
        for name, commit in commits.items():
            r.record.output_versions[f"gold/{name}"] = commit.version
        progress(f"  marts   {r.as_of}: previous business date {before.as_of if before else 'none'}")


def previous_runs(run_log: RunLog, days: Sequence[dt.date]) -> dict[dt.date, Published]:
    """For each of `days`, the published run of the latest date published before it (none for the first)."""
    published = run_log.published_runs()
    out = {}
    for day in days:
        earlier = [d for d in sorted(published) if d < day]
        if earlier:
            out[day] = published[earlier[-1]]
    return out


def published_rows(spark: SparkSession, lake: Lakehouse, key: str, runs: Sequence[Published]) -> DataFrame:
    """Rows of table `key` each run published: its date's rows at its version, of its run id (one read per
    distinct version: the dates of a batch share one; a run id names its date, so one filter serves all)."""
    from pyspark.sql import functions as F

    rows = read_dates(spark, lake, key, {run.as_of: run.versions[key] for run in runs})
    return rows.where(F.col("run_id").isin([run.run_id for run in runs]))


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


def amount_sum(column: str) -> Column:
    """The sum of an amount column in one fixed order (ascending), so a total does not depend on how Spark
    partitioned the rows (a date run alone or in a batch of dates gives the same bits); null for no values,
    as `sum`."""
    from pyspark.sql import functions as F

    ordered = F.array_sort(F.collect_list(column))
    total = F.aggregate(ordered, F.lit(0.0).cast("double"), lambda acc, x: acc + x)
    return F.when(F.count(column) > 0, total).alias(column)


def _totals() -> list[Column]:
    from pyspark.sql import functions as F

    return [
        F.count("*").alias("netting_set_count"),
        F.sum((~F.col("complete")).cast("long")).alias("incomplete_netting_set_count"),
        F.sum("trade_count").alias("trade_count"),
        *[amount_sum(c) for c in ("v", "c", "rc", "pfe", "addon_aggregate", "ead")],
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
        amount_sum("addon"),
        amount_sum("addon_unmargined"),
    )


def movement_mart(
    current: DataFrame, previous: DataFrame | None, run_ids: Mapping[dt.date, str]
) -> DataFrame:
    """EAD change per netting set from the previous published date. `previous` holds the previous date's
    netting sets with `for_date`, the date they are previous to (None, or no rows for a date: every set of
    that date is NEW); `run_ids` the run of each date (a MATURED row has no current row to take it from)."""
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
        previous = current.limit(0).withColumn("for_date", F.col("as_of_date"))
    prev = ead_parts(previous).select("for_date", *[F.col(c).alias(f"p_{c}") for c in keep])
    on = (cur["as_of_date"] == prev["for_date"]) & (cur["netting_set_id"] == prev["p_netting_set_id"])
    both = cur.join(prev, on, "full_outer")

    def change(name: str) -> Column:
        return F.coalesce(F.col(name), F.lit(0.0)) - F.coalesce(F.col(f"p_{name}"), F.lit(0.0))

    day = F.coalesce("as_of_date", "for_date")
    run_id = F.create_map(*[x for d, r in run_ids.items() for x in (F.lit(d), F.lit(r))])[day]
    return both.select(
        day.alias("as_of_date"),
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
        run_id.alias("run_id"),
        F.col("p_run_id").alias("previous_run_id"),
    )


def build_marts(
    spark: SparkSession,
    lake: Lakehouse,
    runs: Mapping[dt.date, Published],
    previous: Mapping[dt.date, Published],
    metadata: Mapping[str, object],
) -> dict[str, Commit]:
    """Write the four marts of the dates of `runs` (one commit each) from the gold versions each run names;
    `previous[d]` is the published run of the date before d (absent for the first date)."""
    ns = published_rows(spark, lake, "gold/saccr_netting_set", list(runs.values()))
    hs = published_rows(spark, lake, "gold/saccr_hedging_set", list(runs.values()))
    prev = None
    if previous:
        before = published_rows(
            spark, lake, "gold/saccr_netting_set", list({p.run_id: p for p in previous.values()}.values())
        )
        for_date = spark.createDataFrame(
            [(d, p.as_of) for d, p in previous.items()], "for_date date, as_of_date date"
        )
        prev = before.join(for_date, "as_of_date")
    movement = movement_mart(ns, prev, {d: r.run_id for d, r in runs.items()})
    marts = {
        "mart_counterparty": counterparty_mart(ns),
        "mart_legal_entity": legal_entity_mart(ns),
        "mart_asset_class": asset_class_mart(hs),
        "mart_ead_movement": movement,
    }
    return {name: replace_dates(df, lake, f"gold/{name}", runs, metadata) for name, df in marts.items()}
