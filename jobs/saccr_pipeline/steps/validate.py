"""Validate: bronze -> silver for a batch of dates, through the Great Expectations suites
(saccr_pipeline.quality.validation).

1. The bronze rows of each date are read at the versions its ingest step wrote (recorded in run_log), with the
   delivery's manifest when the landing folder has one.
2. The suites run over the whole batch: every rule's verdict per date is appended to audit/dq_results, every
   row that broke a critical rule goes to audit/quarantine (the batch runs' validate rows replaced, so a retry
   never duplicates), and the Data Docs are published under `<lakehouse>/data_docs/`.
3. A date with a run-level failure (an extract without rows, a manifest mismatch, a quarantined share above
   `max_rejected_share`) fails with its message here, after the audit writes; the other dates go on.
4. The rows of the dates that passed are conformed (quality.conform) and replace those dates in silver, one
   commit per extract: rows in = rows in silver + rows quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from saccr.contract import EXTRACTS
from saccr_pipeline.lakehouse.tables import dates_predicate, read_dates, replace_dates
from saccr_pipeline.landing import read_manifest
from saccr_pipeline.quality.conform import conformed, fx_rates
from saccr_pipeline.quality.validation import QualityOutcome, Recorded, quality_context, run_validation
from saccr_pipeline.steps.batch import DateRun, Progress, commit_metadata, dates_of, going, versions

if TYPE_CHECKING:
    from saccr_pipeline.steps.job import Job

SILVER_ORDER = ("market_data", "trades", "valuations", "collateral")  # FX rates, then what uses them


def run(job: Job, runs: Sequence[DateRun], progress: Progress, data_docs: bool = True) -> None:
    """Validate every date of `runs` and write silver for those that pass."""
    bronze = {
        e: read_dates(job.spark, job.lake, f"bronze/{e}", versions(runs, "ingest", f"bronze/{e}"))
        for e in EXTRACTS
    }
    manifests = {r.as_of: read_manifest(job.settings.landing_root, r.as_of) for r in runs}
    ctx = quality_context(job.settings, {r.as_of: r.run_id for r in runs}, manifests)
    rows_in = {e: {r.as_of: r.before["ingest"].counts[f"bronze.{e}"] for r in runs} for e in EXTRACTS}
    outcome, recorded = run_validation(
        job.spark, job.lake, bronze, ctx, commit_metadata(runs, "validate"), data_docs, rows_in
    )
    for r in runs:
        _record(r, outcome, recorded)
        error = outcome.error(r.as_of)
        if error:
            r.fail(error)
        for line in describe(r, outcome):
            progress("  " + line)
    progress(f"  validate phases: {', '.join(f'{k} {v:.1f} s' for k, v in outcome.seconds.items())}")
    if recorded.data_docs:
        progress(f"  validate Data Docs: {recorded.data_docs}/index.html")
    passing = going(runs)
    if passing:
        write_silver(job, passing, outcome)


def write_silver(job: Job, runs: Sequence[DateRun], outcome: QualityOutcome) -> None:
    """The passed rows of `runs`' dates, conformed, replace those dates in silver (one commit per extract)."""
    from pyspark.sql import functions as F

    days = dates_of(runs)
    wanted = F.expr(dates_predicate(days))
    passed = {e: frame.where(wanted) for e, frame in outcome.passed.items()}
    fx = fx_rates(passed["market_data"], job.settings.reporting_currency)
    run_ids = F.create_map(*[x for r in runs for x in (F.lit(r.as_of), F.lit(r.run_id))])
    meta = commit_metadata(runs, "validate")
    for extract in SILVER_ORDER:
        rows = conformed(extract, passed[extract], fx, passed["trades"])
        rows = rows.withColumn("run_id", run_ids[F.col("as_of_date")])
        commit = replace_dates(rows, job.lake, f"silver/{extract}", days, meta)
        for r in runs:
            r.record.output_versions[f"silver/{extract}"] = commit.version


def _record(r: DateRun, outcome: QualityOutcome, recorded: Recorded) -> None:
    """The date's versions read and written and its counts, into its run_log record."""
    r.record.input_versions |= {k: v for k, v in r.before["ingest"].output_versions.items()}
    r.record.output_versions["audit/quarantine"] = recorded.quarantine_version
    r.record.output_versions["audit/dq_results"] = recorded.dq_results_version
    for extract, c in outcome.counts[r.as_of].items():
        r.record.counts |= {
            f"bronze.{extract}": c.rows_in,
            f"silver.{extract}": c.rows_passed,
            f"quarantined.{extract}": c.rows_quarantined,
        }


def describe(r: DateRun, outcome: QualityOutcome) -> list[str]:
    """One progress line per extract of the date, and why it stops if it does."""
    lines = [
        f"validate {r.as_of} {e:<12} {c.rows_in:>10,} rows -> {c.rows_passed:,} silver, "
        f"{c.rows_quarantined:,} quarantined"
        for e, c in outcome.counts[r.as_of].items()
    ]
    if outcome.problems.get(r.as_of):
        lines.append(f"validate {r.as_of}: FAILED {'; '.join(outcome.problems[r.as_of])}")
    return lines
