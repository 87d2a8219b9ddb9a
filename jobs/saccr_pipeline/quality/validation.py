"""Data quality between bronze and silver: GX suites, quarantine, run-level stops, nothing lost.

:func:`validate_bronze` takes one date's bronze frames (text as delivered) and
1. stops the date with :class:`DataQualityError` when an extract is missing, empty, of the wrong shape, or
   disagrees with the delivery's manifest (`_manifest.json`: as-of date and row counts);
2. runs each extract's suite (expectations/<extract>.json) with GX Core on Spark for the verdict and counts;
3. flags every row with the rules it breaks, using Spark predicates derived from the same suites plus the
   suites' Spark checks (lookups into the other extracts: valuations, collateral, FX rates, prices), and
   checks that GX and the predicates count the same failures;
4. returns the rows that broke no critical rule (typed, for silver), one quarantine row per (row, critical
   rule broken) with the row as delivered in `record`, one dq_results row per rule and extract, and the
   per-extract counts: rows in = rows passed + distinct rows quarantined.
Rows breaking only warning/info rules pass and are reported in dq_results. A share of quarantined rows above
`max_rejected_share` in any extract is a run-level failure (:meth:`QualityOutcome.raise_for_problems`).

:func:`check_landing` (saccr_pipeline.quality.checks, re-exported here) is the pre-flight of the delivery
folder before ingest, and :func:`run_validation` the whole validate step with its audit writes.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saccr.contract import EXTRACTS
from saccr_pipeline.extracts import FALSE_TEXT, TRUE_TEXT
from saccr_pipeline.lakehouse.schemas import DQ_RESULTS_SCHEMA, LOGICAL_TYPES, QUARANTINE_SCHEMA
from saccr_pipeline.lakehouse.tables import Commit, Lakehouse, replace_date
from saccr_pipeline.quality.checks import (
    Manifest,
    check_bronze_columns,
    check_landing,
    check_manifest,
    read_manifest,
)
from saccr_pipeline.quality.gx import GxResult, GxValidator, copy_tree
from saccr_pipeline.quality.rules import (
    EVALUATION_ORDER,
    TYPED_SUFFIX,
    DataQualityError,
    Lookup,
    Suite,
    load_suites,
    typed_columns,
    unexpected,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from saccr_pipeline.config.settings import Settings

__all__ = [
    "DQ_RESULTS_SCHEMA",
    "Recorded",
    "DataQualityError",
    "ExtractCounts",
    "Manifest",
    "QualityContext",
    "QualityOutcome",
    "check_bronze_columns",
    "check_landing",
    "check_manifest",
    "quality_context",
    "incomplete_netting_sets",
    "read_manifest",
    "rejected_share_problems",
    "run_validation",
    "validate_bronze",
]

LINEAGE = ("as_of_date", "source_file", "source_row")
STAGE = "validate"
SAMPLE_SIZE = 10  # failing keys kept per rule in dq_results
SMALL_EXTRACTS = ("market_data", "collateral")  # one row per key or netting set: lookups into them broadcast


@dataclass(frozen=True)
class QualityContext:
    as_of: dt.date
    run_id: str
    reporting_currency: str
    max_rejected_share: float = 0.05  # per extract; settings.max_rejected_share
    manifest: Manifest | None = None
    columnar_cache_rows: int = 5_000_000  # settings.dq_columnar_cache_rows; see _materialised


def quality_context(
    settings: Settings, as_of: dt.date, run_id: str, manifest: Manifest | None = None
) -> QualityContext:
    """The context of one run from the pipeline settings (reporting currency, data-quality settings)."""
    return QualityContext(
        as_of,
        run_id,
        settings.reporting_currency,
        settings.max_rejected_share,
        manifest,
        settings.dq_columnar_cache_rows,
    )


@dataclass(frozen=True)
class ExtractCounts:
    rows_in: int
    rows_passed: int
    rows_quarantined: int  # distinct rows

    @property
    def rejected_share(self) -> float:
        return self.rows_quarantined / self.rows_in if self.rows_in else 0.0


@dataclass
class QualityOutcome:
    """What the validate step produced for one date (frames are local checkpoints: nothing to unpersist)."""

    ctx: QualityContext
    passed: dict[str, DataFrame]  # lineage + typed contract columns (silver's input)
    quarantine: DataFrame  # QUARANTINE_SCHEMA, stage validate
    results: DataFrame  # DQ_RESULTS_SCHEMA
    counts: dict[str, ExtractCounts]
    problems: tuple[str, ...]  # run-level failures found after validation (rejected share)
    gx: GxValidator
    seconds: Mapping[str, float]  # per phase: load (materialise bronze), gx, rules (predicates and lookups)

    def raise_for_problems(self) -> None:
        """Raise DataQualityError when a run-level rule failed (the caller writes the audit rows first)."""
        if self.problems:
            raise DataQualityError(
                f"data quality stops {self.ctx.as_of} (run {self.ctx.run_id}): {'; '.join(self.problems)}. "
                "Nothing was published; see audit/quarantine and audit/dq_results, fix the extract and rerun."
            )


# ------------------------------------------------------------------------------------------ the step


@dataclass(frozen=True)
class Recorded:
    """The validate step's audit writes: Delta versions of dq_results and quarantine, and the Data Docs."""

    dq_results_version: int
    quarantine_version: int
    data_docs: str | None


def run_validation(
    spark: SparkSession,
    lake: Lakehouse,
    bronze: Mapping[str, DataFrame],
    ctx: QualityContext,
    data_docs: bool = True,
) -> tuple[QualityOutcome, Recorded]:
    """The validate step: validate, append dq_results, replace the run's validate-stage quarantine rows,
    publish Data Docs under `<lakehouse>/data_docs/<as_of>/<run_id>/`, then raise if a run-level rule failed
    (the audit rows are written first, so a stopped date explains itself)."""
    outcome = validate_bronze(spark, bronze, ctx)
    results = write_dq_results(spark, lake, outcome)
    quarantine = write_quarantine(spark, lake, outcome)
    docs = publish_data_docs(spark, outcome, lake.data_docs) if data_docs else None
    outcome.raise_for_problems()
    return outcome, Recorded(results.version, quarantine.version, docs)


def validate_bronze(
    spark: SparkSession,
    bronze: Mapping[str, DataFrame],
    ctx: QualityContext,
    suites: Mapping[str, Suite] | None = None,
) -> QualityOutcome:
    """Validate one date's bronze frames (any rows of other dates are ignored); see the module docstring."""
    suites = suites or load_suites()
    check_bronze_columns(bronze)
    clock = _Clock()
    frames: dict[str, DataFrame] = {e: dq_frame(bronze[e], e, ctx.as_of) for e in EVALUATION_ORDER}
    rows_in = {e: frame.count() for e, frame in frames.items()}  # reads no column: Parquet footers only
    if empty := [e for e, n in rows_in.items() if n == 0]:
        raise DataQualityError(
            f"extract(s) {empty} have no rows for {ctx.as_of}: deliver them (or rerun ingest) and rerun"
        )
    try:
        for extract, frame in frames.items():
            frames[extract] = _materialised(frame, columnar=rows_in[extract] >= ctx.columnar_cache_rows)
        check_manifest(ctx.manifest, ctx.as_of, rows_in)
        clock.lap("load")
        gx = GxValidator({e: suites[e] for e in EVALUATION_ORDER})
        gx_results = {e: gx.validate(e, frames[e], suites[e].rules) for e in EVALUATION_ORDER}
        clock.lap("gx")
        flagged: dict[str, DataFrame] = {}
        for extract in EVALUATION_ORDER:  # lookups of passed rows read the extracts flagged before
            rows = flag_rows(frames[extract], suites[extract], frames, flagged, ctx)
            flagged[extract] = rows.localCheckpoint()
    finally:
        for frame in frames.values():
            frame.unpersist()  # the columnar cache; nothing to do for a local checkpoint
    findings = _findings(spark, flagged, suites).localCheckpoint()
    stats = _rule_stats(findings)
    check_agreement(suites, gx_results, stats)
    counts = _counts(flagged)
    clock.lap("rules")
    return QualityOutcome(
        ctx=ctx,
        passed={e: passed_rows(flagged[e], e) for e in EVALUATION_ORDER},
        quarantine=_quarantine_frame(findings, ctx),
        results=_results_frame(spark, ctx, suites, gx_results, stats, counts),
        counts=counts,
        problems=rejected_share_problems(counts, ctx.max_rejected_share),
        gx=gx,
        seconds=clock.seconds,
    )


def _materialised(frame: DataFrame, columnar: bool) -> DataFrame:
    """`frame` materialised for the many queries of GX and the rules, on a short lineage.

    GX runs one query per metric. Cached in Spark's columnar format, each query reads only its columns; in a
    local checkpoint, whole rows. The columnar cache costs more to build and to plan against, and pays only
    for large frames: 10,000,000 trades on 2 cores (8 GB), one run each: load + GX 190 s and the whole
    validation 493 s in the cache, against 318 s and 600 s in local checkpoints; 3,000,000 trades: 172.5 s
    against 161.0 s (medians of 2); 1,000,000 trades: 95.5 s against 76.1 s (medians of 4, interleaved) —
    all scripts/bench_quality.py. Which frames get the cache: settings.dq_columnar_cache_rows (5,000,000,
    between the last loss and the first win measured)."""
    from pyspark import StorageLevel

    if not columnar:
        return frame.localCheckpoint()
    cached = frame.persist(StorageLevel.MEMORY_AND_DISK)
    cached.count()  # fills the cache
    return cached


class _Clock:
    """Seconds per phase, for the run log and progress output."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self._last, 3)
        self._last = now


# ------------------------------------------------------------------------------------------ run level


def rejected_share_problems(counts: Mapping[str, ExtractCounts], max_share: float) -> tuple[str, ...]:
    """One message per extract whose quarantined share of rows is above `max_share`."""
    return tuple(
        f"{e}: {c.rows_quarantined:,} of {c.rows_in:,} rows quarantined ({c.rejected_share:.1%}), above "
        f"max_rejected_share {max_share:.1%}"
        for e, c in counts.items()
        if c.rejected_share > max_share
    )


# ------------------------------------------------------------------------------------------ row level


def dq_frame(bronze: DataFrame, extract: str, as_of: dt.date) -> DataFrame:
    """The frame the suites validate: one date's bronze rows, empty text as null, plus `<column>__typed`
    (the text cast to the contract type; null when empty or unparseable)."""
    from pyspark.sql import functions as F

    text = {c: F.expr(f"nullif(`{c}`, '')") for c in EXTRACTS[extract]}
    typed = [_typed(text[c], c, EXTRACTS[extract][c]).alias(c + TYPED_SUFFIX) for c in typed_columns(extract)]
    return bronze.where(F.col("as_of_date") == F.lit(as_of)).select(
        *LINEAGE, *(text[c].alias(c) for c in EXTRACTS[extract]), "malformed_record", *typed
    )


def _typed(text: Column, name: str, logical: str) -> Column:
    from pyspark.sql import functions as F

    if logical in ("float", "int"):
        number = F.expr(f"try_cast(nullif(`{name}`, '') AS DOUBLE)")
        return F.when(~F.isnan(number) & (F.abs(number) != F.lit(float("inf"))), number)
    if logical == "date":
        return F.expr(f"try_cast(nullif(`{name}`, '') AS DATE)")
    return F.when(text.isin(*TRUE_TEXT), F.lit(True)).when(text.isin(*FALSE_TEXT), F.lit(False))


def flag_rows(
    frame: DataFrame,
    suite: Suite,
    frames: Mapping[str, DataFrame],
    flagged: Mapping[str, DataFrame],
    ctx: QualityContext,
) -> DataFrame:
    """`frame` plus `failures` (array of check, severity, value: the rules each row breaks) and `critical`."""
    from pyspark.sql import functions as F

    joined = frame
    for lookup in suite.lookups:
        joined = _join_lookup(joined, lookup, frames, flagged)
    flags = {f"__rule{r.index}": unexpected(r, ctx.reporting_currency) for r in suite.rules}
    joined = joined.withColumns(flags)
    failures = F.filter(
        F.array(
            *(
                F.when(
                    F.col(f"__rule{r.index}"),
                    F.struct(
                        F.lit(r.index).alias("check"),
                        F.lit(r.severity).alias("severity"),
                        F.col(f"`{r.column}`").cast("string").alias("value"),
                    ),
                )
                for r in suite.rules
            )
        ),
        lambda f: f.isNotNull(),
    )
    return joined.select(*frame.columns, failures.alias("failures")).withColumn(
        "critical", F.exists("failures", lambda f: f["severity"] == "critical")
    )


def _join_lookup(
    frame: DataFrame, lookup: Lookup, frames: Mapping[str, DataFrame], flagged: Mapping[str, DataFrame]
) -> DataFrame:
    """Left-join the looked-up columns of another extract (one row per key, so rows never multiply)."""
    from pyspark.sql import functions as F

    other = (
        flagged[lookup.extract].where(~F.col("critical"))
        if lookup.rows == "passed"
        else frames[lookup.extract]
    )
    if lookup.where:
        other = other.where(F.expr(lookup.where))
    if lookup.extract in SMALL_EXTRACTS:
        other = F.broadcast(other)
    keys = [f"__on{i}" for i in range(len(lookup.on))]
    other = other.select(
        *(F.col(f"`{theirs}`").alias(k) for k, (_, theirs) in zip(keys, lookup.on, strict=True)),
        *(F.col(f"`{theirs}`").alias(alias) for theirs, alias in lookup.columns),
    ).dropDuplicates(keys)
    condition = [frame[f"`{ours}`"] == other[k] for k, (ours, _) in zip(keys, lookup.on, strict=True)]
    return frame.join(other, condition, "left").drop(*keys)


def passed_rows(flagged: DataFrame, extract: str) -> DataFrame:
    """Rows that broke no critical rule: lineage + contract columns typed as silver holds them."""
    from pyspark.sql import functions as F

    def typed(name: str, logical: str) -> Column:
        value = F.col(name) if logical == "str" else F.col(name + TYPED_SUFFIX)
        return value.cast(LOGICAL_TYPES[logical]).alias(name)

    return flagged.where(~F.col("critical")).select(
        *LINEAGE, *(typed(c, t) for c, t in EXTRACTS[extract].items())
    )


def _findings(
    spark: SparkSession, flagged: Mapping[str, DataFrame], suites: Mapping[str, Suite]
) -> DataFrame:
    """One row per (row, rule broken) of every extract, with the rule's metadata and the row as delivered."""
    from functools import reduce

    from pyspark.sql import functions as F

    parts = []
    for extract, frame in flagged.items():
        columns = EXTRACTS[extract]
        key = F.concat_ws(":", *(F.col(k) for k in suites[extract].key))
        parts.append(
            frame.where(F.size("failures") > 0).select(
                F.lit(extract).alias("extract"),
                *LINEAGE,
                (F.col("trade_id") if "trade_id" in columns else F.lit(None).cast("string")).alias(
                    "trade_id"
                ),
                (
                    F.col("netting_set_id") if "netting_set_id" in columns else F.lit(None).cast("string")
                ).alias("netting_set_id"),
                F.when(key != "", key).otherwise(F.concat(F.lit("row "), F.col("source_row"))).alias("key"),
                F.to_json(F.struct(*columns, "malformed_record"), {"ignoreNullFields": "false"}).alias(
                    "record"
                ),
                F.explode("failures").alias("f"),
            )
        )
    rules = spark.createDataFrame(
        [
            (r.extract, r.index, r.rule, r.column, r.message, r.expectation)
            for s in suites.values()
            for r in s.rules
        ],
        "extract string, check int, rule string, field string, message string, expectation string",
    )
    found = reduce(lambda a, b: a.unionByName(b), parts)
    return found.select("*", "f.*").drop("f").join(F.broadcast(rules), ["extract", "check"])


def _rule_stats(findings: DataFrame) -> dict[tuple[str, int], tuple[int, list[str]]]:
    """(extract, check) -> (rows failing, first SAMPLE_SIZE failing keys by source row), in one Spark job."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_rule = Window.partitionBy("extract", "check")
    rows = (
        findings.select(
            "extract",
            "check",
            "key",
            F.count(F.lit(1)).over(by_rule).alias("n"),
            F.row_number().over(by_rule.orderBy("source_file", "source_row")).alias("i"),
        )
        .where(F.col("i") <= SAMPLE_SIZE)
        .collect()
    )
    stats: dict[tuple[str, int], tuple[int, list[str]]] = {}
    for row in sorted(rows, key=lambda r: r["i"]):
        count, keys = stats.setdefault((row["extract"], row["check"]), (row["n"], []))
        keys.append(row["key"])
    return stats


def check_agreement(
    suites: Mapping[str, Suite],
    gx_results: Mapping[str, Mapping[int, GxResult]],
    stats: Mapping[tuple[str, int], tuple[int, list[str]]],
) -> None:
    """GX's unexpected count of every expectation equals its Spark predicate's: the quarantine split and
    the verdict come from the same rules. A difference is a bug in quality_rules, so the date stops."""
    differences = []
    for extract, suite in suites.items():
        for rule in suite.gx_rules:
            ours = stats.get((extract, rule.index), (0, []))[0]
            theirs = gx_results[extract][rule.index].unexpected_count or 0
            if ours != theirs:
                differences.append(
                    f"{extract} #{rule.index} {rule.expectation}({rule.column}): GX {theirs}, Spark {ours}"
                )
    if differences:
        raise DataQualityError(
            f"GX and the quarantine predicates disagree: {'; '.join(differences)}; "
            "fix saccr_pipeline.quality.rules"
        )


def _counts(flagged: Mapping[str, DataFrame]) -> dict[str, ExtractCounts]:
    from functools import reduce

    from pyspark.sql import functions as F

    totals = reduce(
        lambda a, b: a.unionByName(b),
        [
            frame.agg(
                F.lit(extract).alias("extract"),
                F.count(F.lit(1)).alias("rows_in"),
                F.sum(F.col("critical").cast("long")).alias("quarantined"),
            )
            for extract, frame in flagged.items()
        ],
    ).collect()
    return {
        r["extract"]: ExtractCounts(
            r["rows_in"], r["rows_in"] - (r["quarantined"] or 0), r["quarantined"] or 0
        )
        for r in totals
    }


def _results_frame(
    spark: SparkSession,
    ctx: QualityContext,
    suites: Mapping[str, Suite],
    gx_results: Mapping[str, Mapping[int, GxResult]],
    stats: Mapping[tuple[str, int], tuple[int, list[str]]],
    counts: Mapping[str, ExtractCounts],
) -> DataFrame:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # the session time zone is UTC
    rows = []
    for extract, suite in suites.items():
        common = {"as_of_date": ctx.as_of, "run_id": ctx.run_id, "extract": extract, "evaluated_at": now}
        common["suite"] = suite.document.get("name", extract)
        rows_in = counts[extract].rows_in
        for rule in suite.rules:
            found, keys = stats.get((extract, rule.index), (0, []))
            details: dict[str, Any] = {"message": rule.message, "kwargs": _plain(rule.kwargs)}
            if rule.source == "gx":
                gx = gx_results[extract][rule.index]
                element_count, percent, success = gx.element_count, gx.unexpected_percent, gx.success
                details["observed"] = _plain(gx.observed)
            else:
                element_count, percent, success = rows_in, 100.0 * found / rows_in, found == 0
            rows.append(
                {
                    **common,
                    "expectation": rule.expectation,
                    "rule": rule.rule,
                    "column": rule.column,
                    "severity": rule.severity,
                    "source": rule.source,
                    "success": success,
                    "element_count": element_count,
                    "unexpected_count": found,
                    "unexpected_percent": None if percent is None else float(percent),
                    "failing_keys": keys,
                    "details": json.dumps(details, sort_keys=True),
                }
            )
        c = counts[extract]
        rows.append(
            {
                **common,
                "expectation": "rejected_share",
                "rule": "rejected_share",
                "column": None,
                "severity": "critical",
                "source": "spark",
                "success": c.rejected_share <= ctx.max_rejected_share,
                "element_count": c.rows_in,
                "unexpected_count": c.rows_quarantined,
                "unexpected_percent": 100.0 * c.rejected_share,
                "failing_keys": [],
                "details": json.dumps(
                    {"max_rejected_share": ctx.max_rejected_share, "rows_passed": c.rows_passed}
                ),
            }
        )
    names = DQ_RESULTS_SCHEMA.fieldNames()
    return spark.createDataFrame([tuple(row[n] for n in names) for row in rows], DQ_RESULTS_SCHEMA)


def _plain(value: Any) -> Any:
    """JSON-safe copy (GX results hold numpy numbers and enums)."""
    return json.loads(json.dumps(value, default=str))


def _quarantine_frame(findings: DataFrame, ctx: QualityContext) -> DataFrame:
    from pyspark.sql import functions as F

    message = F.concat(
        F.col("message"),
        F.when(F.col("value").isNotNull(), F.concat(F.lit(" (got '"), F.col("value"), F.lit("')"))).otherwise(
            ""
        ),
        F.lit(" ["),
        F.col("expectation"),
        F.lit("]"),
    )
    given = {
        "run_id": F.lit(ctx.run_id),
        "stage": F.lit(STAGE),
        "message": message,
        "quarantined_at": F.current_timestamp(),
    }
    return findings.where(F.col("severity") == "critical").select(
        *(
            (given[f.name] if f.name in given else F.col(f.name)).cast(f.dataType).alias(f.name)
            for f in QUARANTINE_SCHEMA
        )
    )


# ------------------------------------------------------------------------------------------ outputs


def incomplete_netting_sets(quarantine: DataFrame) -> DataFrame:
    """Netting sets missing at least one quarantined trade (validate stage): netting_set_id,
    rejected_trade_count. Their EAD would be understated: the compute step holds them back or flags them
    (settings.incomplete_netting_sets, CalculationOptions.incomplete_netting_sets)."""
    from pyspark.sql import functions as F

    return (
        quarantine.where(
            (F.col("stage") == STAGE) & (F.col("extract") == "trades") & F.col("netting_set_id").isNotNull()
        )
        .groupBy("as_of_date", "netting_set_id")
        .agg(F.countDistinct("source_file", "source_row").alias("rejected_trade_count"))
    )


def write_dq_results(spark: SparkSession, lake: Lakehouse, outcome: QualityOutcome) -> Commit:
    """Replace this run's rows of the date in audit/dq_results: a retried step never duplicates them, every
    earlier run's verdicts stay (readers select by run_id)."""
    ctx = outcome.ctx
    return replace_date(
        outcome.results, spark, lake, "audit/dq_results", ctx.as_of, {"run_id": ctx.run_id, "step": STAGE},
        extra_predicate=f"run_id = '{ctx.run_id}'",
    )  # fmt: skip


def write_quarantine(spark: SparkSession, lake: Lakehouse, outcome: QualityOutcome) -> Commit:
    """Replace this run's validate-stage rows of the date in audit/quarantine: a retried step never duplicates
    them, earlier runs' rows stay for the audit trail (readers select by run_id)."""
    ctx = outcome.ctx
    return replace_date(
        outcome.quarantine, spark, lake, "audit/quarantine", ctx.as_of, {"run_id": ctx.run_id, "step": STAGE},
        extra_predicate=f"run_id = '{ctx.run_id}' AND stage = '{STAGE}'",
    )  # fmt: skip


def publish_data_docs(spark: SparkSession, outcome: QualityOutcome, root: str) -> str:
    """Build GX Data Docs (suites and this run's results) and copy them to `<root>/<as_of>/<run_id>/`; return
    the folder. Works for local and object-store roots (Hadoop FileSystem)."""
    target = f"{root.rstrip('/')}/{outcome.ctx.as_of.isoformat()}/{outcome.ctx.run_id}"
    with tempfile.TemporaryDirectory(prefix="saccr-data-docs-") as local:
        outcome.gx.build_docs(Path(local))
        copy_tree(spark, Path(local), target)
    return target
