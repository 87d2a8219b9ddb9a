"""Data quality between bronze and silver: GX suites, quarantine, run-level stops, nothing lost.

:func:`validate_bronze` takes the bronze frames of a batch of dates (text as delivered) and
1. finds, per date, what stops it before any rule: an extract without rows, a delivery that disagrees with its
   manifest (`_manifest.json`: as-of date and row counts);
2. runs each extract's suite (expectations/<extract>.json) with GX Core on Spark once over the whole batch
   (uniqueness checked within each date, quality.gx.within_date) for its verdict and counts;
3. flags every row with the rules it breaks, using Spark predicates derived from the same suites plus the
   suites' Spark checks (lookups into the other extracts of the same date: valuations, collateral, FX rates,
   prices), and checks that GX and the predicates count the same failures;
4. returns the rows that broke no critical rule (typed, for silver), one quarantine row per (row, critical
   rule broken) with the row as delivered in `record`, one dq_results row per rule, extract and date, and the
   per-date, per-extract counts: rows in = rows passed + distinct rows quarantined.
Rows breaking only warning/info rules pass and are reported in dq_results. A date also stops when the share of
quarantined rows of any of its extracts is above `max_rejected_share` (:attr:`QualityOutcome.problems`);
the other dates of the batch go on.

The validate step (saccr_pipeline.steps.validate) writes the audit rows and silver; :func:`run_validation`
does the audit writes.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saccr.contract import EXTRACTS
from saccr_pipeline.config.settings import DEFAULT_IDENTIFIER_PATTERN
from saccr_pipeline.extracts import FALSE_TEXT, NUMBER_GRAMMAR, TRUE_TEXT
from saccr_pipeline.lakehouse.schemas import DQ_RESULTS_SCHEMA, LOGICAL_TYPES, QUARANTINE_SCHEMA
from saccr_pipeline.lakehouse.tables import Commit, Lakehouse, dates_predicate, in_list, replace_dates
from saccr_pipeline.landing import Manifest, manifest_problems
from saccr_pipeline.quality.checks import check_bronze_columns
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
from saccr_pipeline.run_ids import token_of

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from saccr_pipeline.config.settings import Settings

LINEAGE = ("as_of_date", "source_file", "source_row")
STAGE = "validate"
SAMPLE_SIZE = 10  # failing keys kept per rule in dq_results
SMALL_EXTRACTS = ("market_data", "collateral")  # one row per key or netting set: lookups into them broadcast


@dataclass(frozen=True)
class QualityContext:
    """A batch of dates validated together, with what the rules and run-level checks need."""

    run_ids: Mapping[dt.date, str]  # the batch: as-of date -> its run id
    reporting_currency: str
    max_rejected_share: float = 0.05  # per date and extract; settings.max_rejected_share
    manifests: Mapping[dt.date, Manifest | None] = field(default_factory=dict)
    columnar_cache_rows: int = 5_000_000  # settings.dq_columnar_cache_rows; see _materialised
    gx_pandas_rows: int = 200_000  # settings.dq_gx_pandas_rows: GX on pandas below, on Spark from there
    identifier_pattern: str = DEFAULT_IDENTIFIER_PATTERN  # settings.identifier_pattern

    @property
    def dates(self) -> list[dt.date]:
        return sorted(self.run_ids)

    @property
    def run_name(self) -> str:
        """The GX validation run: the batch token (one date: its run id)."""
        first = self.run_ids[self.dates[0]]
        return first if len(self.run_ids) == 1 else token_of(first)


def quality_context(
    settings: Settings, run_ids: Mapping[dt.date, str], manifests: Mapping[dt.date, Manifest | None]
) -> QualityContext:
    """The context of a batch from the pipeline settings (reporting currency, data-quality settings)."""
    return QualityContext(
        dict(run_ids),
        settings.reporting_currency,
        settings.max_rejected_share,
        dict(manifests),
        settings.dq_columnar_cache_rows,
        settings.dq_gx_pandas_rows,
        settings.identifier_pattern,
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
    """What validation produced for a batch (frames are local checkpoints: nothing to unpersist)."""

    ctx: QualityContext
    passed: dict[str, DataFrame]  # lineage + typed contract columns (silver's input), every date
    quarantine: DataFrame  # QUARANTINE_SCHEMA, stage validate
    results: DataFrame  # DQ_RESULTS_SCHEMA
    counts: dict[dt.date, dict[str, ExtractCounts]]  # per date, per extract
    problems: dict[dt.date, tuple[str, ...]]  # run-level failures per date (empty: the date goes on)
    gx: GxValidator | None  # None when every date stopped before any rule ran
    seconds: Mapping[str, float]  # per phase: load (materialise bronze), gx, rules (predicates and lookups)

    def error(self, as_of: dt.date) -> DataQualityError | None:
        """Why `as_of` stops (the caller writes the audit rows first), or None."""
        if not self.problems.get(as_of):
            return None
        return DataQualityError(
            f"data quality stops {as_of} (run {self.ctx.run_ids[as_of]}): {'; '.join(self.problems[as_of])}. "
            "Nothing of the date was published; see audit/quarantine and audit/dq_results, fix the extract "
            "and rerun."
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
    metadata: Mapping[str, object],
    data_docs: bool = True,
    rows_in: Mapping[str, Mapping[dt.date, int]] | None = None,
) -> tuple[QualityOutcome, Recorded]:
    """Validate, replace the batch's dq_results and validate-stage quarantine rows (one commit each), and
    publish the GX Data Docs of the batch under `<lakehouse>/data_docs/`. Dates that stop are in
    `outcome.problems`: their audit rows are written too, so a stopped date explains itself."""
    outcome = validate_bronze(spark, bronze, ctx, rows_in=rows_in)
    results = write_dq_results(lake, outcome, metadata)
    quarantine = write_quarantine(lake, outcome, metadata)
    docs = publish_data_docs(spark, outcome, lake.data_docs) if data_docs and outcome.gx else None
    return outcome, Recorded(results.version, quarantine.version, docs)


def validate_bronze(
    spark: SparkSession,
    bronze: Mapping[str, DataFrame],
    ctx: QualityContext,
    suites: Mapping[str, Suite] | None = None,
    rows_in: Mapping[str, Mapping[dt.date, int]] | None = None,
) -> QualityOutcome:
    """Validate the batch's bronze frames (rows of other dates are ignored); see the module docstring.
    `rows_in`: each extract's rows per date, when the caller knows them (ingest counted them)."""
    suites = suites or load_suites()
    check_bronze_columns(bronze)
    clock = _Clock()
    frames: dict[str, DataFrame] = {e: dq_frame(bronze[e], e, ctx.dates) for e in EVALUATION_ORDER}
    rows_in = rows_in or {e: _rows_per_date(frames[e]) for e in EVALUATION_ORDER}
    problems = {d: _load_problems(d, rows_in, ctx) for d in ctx.dates}
    if all(problems.values()):  # nothing of the batch can go on: no rule needs to run
        return _stopped(spark, ctx, problems, clock)
    try:
        for extract, frame in frames.items():
            total = sum(rows_in[extract].values())
            frames[extract] = _materialised(frame, columnar=total >= ctx.columnar_cache_rows)
        clock.lap("load")
        gx = GxValidator({e: suites[e] for e in EVALUATION_ORDER})
        gx_results = {}
        for e in EVALUATION_ORDER:
            small = sum(rows_in[e].values()) < ctx.gx_pandas_rows
            data = frames[e].toPandas() if small else frames[e]
            gx_results[e] = gx.validate(e, data, suites[e].rules, ctx.run_name)
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
    counts = _counts(flagged, ctx.dates)
    for day in ctx.dates:
        problems[day] += rejected_share_problems(counts[day], ctx.max_rejected_share)
    clock.lap("rules")
    return QualityOutcome(
        ctx=ctx,
        passed={e: passed_rows(flagged[e], e) for e in EVALUATION_ORDER},
        quarantine=_quarantine_frame(findings, ctx),
        results=_results_frame(spark, ctx, suites, gx_results, stats, counts, problems),
        counts=counts,
        problems={d: tuple(p) for d, p in problems.items()},
        gx=gx,
        seconds=clock.seconds,
    )


def _stopped(
    spark: SparkSession, ctx: QualityContext, problems: Mapping[dt.date, list[str]], clock: _Clock
) -> QualityOutcome:
    """The outcome of a batch whose every date stopped before any rule: only the run-level verdicts."""
    clock.lap("load")
    return QualityOutcome(
        ctx=ctx,
        passed={},
        quarantine=spark.createDataFrame([], QUARANTINE_SCHEMA),
        results=_results_frame(spark, ctx, {}, {}, {}, {}, problems),
        counts={d: {} for d in ctx.dates},
        problems={d: tuple(p) for d, p in problems.items()},
        gx=None,
        seconds=clock.seconds,
    )


def _rows_per_date(frame: DataFrame) -> dict[dt.date, int]:
    return {r["as_of_date"]: r["count"] for r in frame.groupBy("as_of_date").count().collect()}


def _load_problems(
    day: dt.date, rows_in: Mapping[str, Mapping[dt.date, int]], ctx: QualityContext
) -> list[str]:
    """What stops `day` before any rule: an extract without rows, a delivery unlike its manifest."""
    rows = {e: rows_in[e].get(day, 0) for e in EVALUATION_ORDER}
    problems = (
        [f"extract(s) {[e for e, n in rows.items() if n == 0]} have no rows"] if 0 in rows.values() else []
    )
    return problems + manifest_problems(ctx.manifests.get(day), day, rows)


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


def rejected_share_problems(counts: Mapping[str, ExtractCounts], max_share: float) -> list[str]:
    """One message per extract (of one date) whose quarantined share of rows is above `max_share`."""
    return list(
        f"{e}: {c.rows_quarantined:,} of {c.rows_in:,} rows quarantined ({c.rejected_share:.1%}), above "
        f"max_rejected_share {max_share:.1%}"
        for e, c in counts.items()
        if c.rejected_share > max_share
    )


@dataclass(frozen=True)
class LostTrades:
    """A date's delivered trade rows that will not be published: quarantined by validate, or held back by the
    engine with their incomplete netting set (incomplete_netting_sets = "hold")."""

    delivered: int  # trade rows delivered (bronze)
    quarantined: int  # trade rows quarantined by validate
    held: int  # trades held back in incomplete netting sets (rule netting_set_held_incomplete)
    held_netting_sets: int

    @property
    def share(self) -> float:
        return (self.quarantined + self.held) / self.delivered if self.delivered else 0.0

    def describe(self) -> str:
        lost = self.quarantined + self.held
        return (
            f"trades: {self.quarantined:,} quarantined and {self.held:,} held back in "
            f"{self.held_netting_sets:,} incomplete netting set(s): {lost:,} of {self.delivered:,} rows "
            f"not published ({self.share:.1%})"
        )


def lost_trades_problem(lost: LostTrades, max_share: float) -> str | None:
    """The message that stops a date whose trades lost to quarantine and to held netting sets together are
    above `max_share` of the trades delivered, or None. A held netting set loses the whole set's trades, so
    counting quarantined rows alone lets a date missing most of its book publish."""
    if lost.share <= max_share:
        return None
    return f"{lost.describe()}, above max_rejected_share {max_share:.1%}"


# ------------------------------------------------------------------------------------------ row level


def dq_frame(bronze: DataFrame, extract: str, dates: Sequence[dt.date]) -> DataFrame:
    """The frame the suites validate: the bronze rows of `dates`, empty text as null, plus `<column>__typed`
    (the text cast to the contract type; null when empty or unparseable, numbers outside the number grammar
    included)."""
    from pyspark.sql import functions as F

    text = {c: F.expr(f"nullif(`{c}`, '')") for c in EXTRACTS[extract]}
    typed = [_typed(text[c], c, EXTRACTS[extract][c]).alias(c + TYPED_SUFFIX) for c in typed_columns(extract)]
    return bronze.where(F.expr(dates_predicate(dates))).select(
        *LINEAGE, *(text[c].alias(c) for c in EXTRACTS[extract]), "malformed_record", *typed
    )


def _typed(text: Column, name: str, logical: str) -> Column:
    from pyspark.sql import functions as F

    if logical in ("float", "int"):  # only text in the number grammar has a number
        number = F.expr(f"try_cast(nullif(`{name}`, '') AS DOUBLE)")
        finite = ~F.isnan(number) & (F.abs(number) != F.lit(float("inf")))
        return F.when(text.rlike(NUMBER_GRAMMAR) & finite, number)
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
    flags = {
        f"__rule{r.index}": unexpected(r, ctx.reporting_currency, ctx.identifier_pattern) for r in suite.rules
    }
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
    on = (("as_of_date", "as_of_date"), *lookup.on)  # another extract of the same date
    keys = [f"__on{i}" for i in range(len(on))]
    other = other.select(
        *(F.col(f"`{theirs}`").alias(k) for k, (_, theirs) in zip(keys, on, strict=True)),
        *(F.col(f"`{theirs}`").alias(alias) for theirs, alias in lookup.columns),
    ).dropDuplicates(keys)
    condition = [frame[f"`{ours}`"] == other[k] for k, (ours, _) in zip(keys, on, strict=True)]
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


Stats = dict[tuple[dt.date, str, int], tuple[int, list[str]]]


def _rule_stats(findings: DataFrame) -> Stats:
    """(as_of_date, extract, check) -> (rows failing, first SAMPLE_SIZE failing keys by source row), in one
    Spark job."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_rule = Window.partitionBy("as_of_date", "extract", "check")
    rows = (
        findings.select(
            "as_of_date",
            "extract",
            "check",
            "key",
            F.count(F.lit(1)).over(by_rule).alias("n"),
            F.row_number().over(by_rule.orderBy("source_file", "source_row")).alias("i"),
        )
        .where(F.col("i") <= SAMPLE_SIZE)
        .collect()
    )
    stats: Stats = {}
    for row in sorted(rows, key=lambda r: r["i"]):
        count, keys = stats.setdefault((row["as_of_date"], row["extract"], row["check"]), (row["n"], []))
        keys.append(row["key"])
    return stats


def _failing(stats: Stats, extract: str, index: int, day: dt.date | None = None) -> int:
    """Rows failing rule `index` of `extract` on `day` (every date of the batch when None)."""
    return sum(n for (d, e, i), (n, _) in stats.items() if e == extract and i == index and day in (None, d))


def check_agreement(
    suites: Mapping[str, Suite], gx_results: Mapping[str, Mapping[int, GxResult]], stats: Stats
) -> None:
    """GX's unexpected count of every expectation over the batch equals its Spark predicate's summed over the
    dates: the quarantine split and the verdict come from the same rules. A difference is a bug in
    quality.rules, so the batch stops."""
    differences = []
    for extract, suite in suites.items():
        for rule in suite.gx_rules:
            ours = _failing(stats, extract, rule.index)
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


def _counts(
    flagged: Mapping[str, DataFrame], dates: Sequence[dt.date]
) -> dict[dt.date, dict[str, ExtractCounts]]:
    """Rows in, passed and quarantined per date and extract (0 rows for an extract a date lacks)."""
    from functools import reduce

    from pyspark.sql import functions as F

    totals = reduce(
        lambda a, b: a.unionByName(b),
        [
            frame.groupBy("as_of_date").agg(
                F.lit(extract).alias("extract"),
                F.count(F.lit(1)).alias("rows_in"),
                F.sum(F.col("critical").cast("long")).alias("quarantined"),
            )
            for extract, frame in flagged.items()
        ],
    ).collect()
    counts = {d: dict.fromkeys(flagged, ExtractCounts(0, 0, 0)) for d in dates}
    for r in totals:
        quarantined = r["quarantined"] or 0
        counts[r["as_of_date"]][r["extract"]] = ExtractCounts(
            r["rows_in"], r["rows_in"] - quarantined, quarantined
        )
    return counts


def _results_frame(
    spark: SparkSession,
    ctx: QualityContext,
    suites: Mapping[str, Suite],
    gx_results: Mapping[str, Mapping[int, GxResult]],
    stats: Stats,
    counts: Mapping[dt.date, Mapping[str, ExtractCounts]],
    problems: Mapping[dt.date, Sequence[str]],
) -> DataFrame:
    """One row per date, extract and rule, plus each date's rejected share per extract and its delivery
    checks. A rule's numbers are the date's (from the predicates, which agree with GX); `details.gx` holds
    GX's own verdict over the whole batch the date was validated in."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # the session time zone is UTC
    rows = []
    for day in ctx.dates:
        base = {"as_of_date": day, "run_id": ctx.run_ids[day], "evaluated_at": now}
        for extract, suite in suites.items():
            common = base | {"extract": extract, "suite": suite.document.get("name", extract)}
            rows_in = counts[day][extract].rows_in
            for rule in suite.rules:
                found = _failing(stats, extract, rule.index, day)
                keys = stats.get((day, extract, rule.index), (0, []))[1]
                details: dict[str, Any] = {"message": rule.message, "kwargs": _plain(rule.kwargs)}
                if rule.source == "gx":
                    details["gx"] = _gx_verdict(gx_results[extract][rule.index], ctx)
                rows.append(
                    common
                    | {
                        "expectation": rule.expectation,
                        "rule": rule.rule,
                        "column": rule.column,
                        "severity": rule.severity,
                        "source": rule.source,
                        "success": found == 0,
                        "element_count": rows_in,
                        "unexpected_count": found,
                        "unexpected_percent": 100.0 * found / rows_in if rows_in else None,
                        "failing_keys": keys,
                        "details": json.dumps(details, sort_keys=True),
                    }
                )
            c = counts[day][extract]
            rows.append(
                common
                | {
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
        rows.append(
            base
            | {
                "extract": "delivery",
                "suite": None,
                "expectation": "run_level_checks",
                "rule": "run_level_checks",
                "column": None,
                "severity": "critical",
                "source": "spark",
                "success": not problems.get(day),
                "element_count": None,
                "unexpected_count": len(problems.get(day, ())),
                "unexpected_percent": None,
                "failing_keys": [],
                "details": json.dumps({"problems": list(problems.get(day, ()))}),
            }
        )
    names = DQ_RESULTS_SCHEMA.fieldNames()
    return spark.createDataFrame([tuple(row[n] for n in names) for row in rows], DQ_RESULTS_SCHEMA)


def _gx_verdict(gx: GxResult, ctx: QualityContext) -> dict[str, Any]:
    return {
        "batch_dates": [d.isoformat() for d in ctx.dates],
        "success": gx.success,
        "element_count": gx.element_count,
        "unexpected_count": gx.unexpected_count,
        "unexpected_percent": gx.unexpected_percent,
        "observed": _plain(gx.observed),
    }


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
    run_ids = F.create_map(*[x for d, r in ctx.run_ids.items() for x in (F.lit(d), F.lit(r))])
    given = {
        "run_id": run_ids[F.col("as_of_date")],
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


def write_dq_results(lake: Lakehouse, outcome: QualityOutcome, metadata: Mapping[str, object]) -> Commit:
    """Replace the batch runs' rows in audit/dq_results: a retried step never duplicates them, every earlier
    run's verdicts stay (readers select by run_id)."""
    ctx = outcome.ctx
    return replace_dates(
        outcome.results, lake, "audit/dq_results", ctx.dates, metadata,
        extra_predicate=in_list("run_id", ctx.run_ids.values()),
    )  # fmt: skip


def write_quarantine(lake: Lakehouse, outcome: QualityOutcome, metadata: Mapping[str, object]) -> Commit:
    """Replace the batch runs' validate-stage rows in audit/quarantine: a retried step never duplicates them,
    earlier runs' rows stay for the audit trail (readers select by run_id)."""
    ctx = outcome.ctx
    return replace_dates(
        outcome.quarantine, lake, "audit/quarantine", ctx.dates, metadata,
        extra_predicate=f"{in_list('run_id', ctx.run_ids.values())} AND stage = '{STAGE}'",
    )  # fmt: skip


def publish_data_docs(spark: SparkSession, outcome: QualityOutcome, root: str) -> str:
    """Build the GX Data Docs of the batch (suites and results) into `<root>/batches/<token>/`, and for each
    date a page `<root>/<as_of>/<run_id>/index.html` leading there; return the batch's folder. Works for
    local and object-store roots (Hadoop FileSystem)."""
    ctx = outcome.ctx
    token = token_of(ctx.run_ids[ctx.dates[0]])
    target = f"{root.rstrip('/')}/batches/{token}"
    with tempfile.TemporaryDirectory(prefix="saccr-data-docs-") as local:
        outcome.gx.build_docs(Path(local) / "site")
        copy_tree(spark, Path(local) / "site", target)
        for day, run_id in ctx.run_ids.items():
            page = Path(local) / "dates" / run_id
            page.mkdir(parents=True)
            (page / "index.html").write_text(_date_page(day, run_id, token))
            copy_tree(spark, page, f"{root.rstrip('/')}/{day.isoformat()}/{run_id}")
    return target


def _date_page(day: dt.date, run_id: str, token: str) -> str:
    """A date's entry into the Data Docs of the batch it was validated in."""
    href = f"../../batches/{token}/index.html"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='0; url={href}'><title>Data quality {day} ({run_id})</title>"
        f"</head><body><p>Data quality of {day}, run {run_id}: validated in batch {token}, "
        f"<a href='{href}'>Great Expectations Data Docs</a>.</p></body></html>\n"
    )
