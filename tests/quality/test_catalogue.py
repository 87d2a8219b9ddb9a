"""The catalogue of bad extracts through the pipeline's real ingest and validate steps: GX on Spark, bronze,
silver and audit Delta tables.

Run A ingests and validates the whole catalogue once through the step runner (max_rejected_share 1: the date
goes on) and writes silver; every case is then checked against the quarantine and dq_results tables. Run B
reruns the same date with only bad market data above the 5% share: the date stops before silver, and run A's
quarantine rows stay next to run B's.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from catalogue import Catalogue, build
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from quality_support import AS_OF, write_delivery

from saccr.contract import EXTRACTS
from saccr_pipeline.errors import DataQualityError
from saccr_pipeline.lakehouse.run_log import StepRecord
from saccr_pipeline.lakehouse.tables import Lakehouse, current_version, read
from saccr_pipeline.quality.validation import ExtractCounts, rejected_share_problems
from saccr_pipeline.run_ids import run_id_of
from saccr_pipeline.steps.job import Job
from saccr_pipeline.steps.registry import STEP_NAMES, step_named
from saccr_pipeline.steps.runner import run_step
from saccr_pipeline.steps.summarise import close_runs
from support.lakehouse import make_job, quiet

pytestmark = [pytest.mark.spark, pytest.mark.slow]
KEY_SQL = {
    "trades": "trade_id",
    "valuations": "trade_id",
    "collateral": "netting_set_id",
    "market_data": "concat_ws(':', get_json_object(record, '$.kind'), get_json_object(record, '$.key'))",
}


RUN_A, RUN_B = run_id_of(AS_OF, "a"), run_id_of(AS_OF, "b")


@dataclass
class Run:
    catalogue: Catalogue
    validated: StepRecord  # run A's validate step, as run_log holds it
    bronze: dict[str, DataFrame]  # run A's bronze rows (pinned versions)
    silver: dict[str, DataFrame]  # run A's silver rows (pinned versions)
    job: Job

    @property
    def lake(self) -> Lakehouse:
        return self.job.lake

    def table(self, spark: SparkSession, name: str) -> DataFrame:
        return spark.read.format("delta").load(self.lake.path(name))

    def counts(self, extract: str) -> ExtractCounts:
        c = self.validated.counts
        return ExtractCounts(c[f"bronze.{extract}"], c[f"silver.{extract}"], c[f"quarantined.{extract}"])


def ingest_and_validate(job: Job, token: str) -> None:
    """The real ingest and validate steps for AS_OF, as `saccr run` and the DAGs run them."""
    for step in ("ingest", "validate"):
        run_step(job, step_named(step), [AS_OF], token, quiet)


@pytest.fixture(scope="module")
def run(spark: SparkSession, sample_text, tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("catalogue")
    cat = build(sample_text)
    cat.write(root / "landing" / AS_OF.isoformat())
    job = make_job(spark, root / "lake", root / "landing", max_rejected_share=1.0)
    ingest_and_validate(job, "a")
    close_runs(job.lake, [RUN_A], STEP_NAMES)  # run A ends here: its lease on the date ends with it
    steps = job.run_log.run_steps(RUN_A)
    v = steps["ingest"].output_versions | steps["validate"].output_versions
    bronze, silver = ({e: read(spark, job.lake, f"{layer}/{e}", v[f"{layer}/{e}"], AS_OF) for e in EXTRACTS}
                      for layer in ("bronze", "silver"))  # fmt: skip
    return Run(cat, steps["validate"], bronze, silver, job)


def _quarantined(spark: SparkSession, run: Run) -> dict[tuple[str, str], tuple[set[tuple[str, str]], int]]:
    """(extract, key) -> ({(rule, field)}, distinct rows) from the quarantine table of run A."""
    q = run.table(spark, "audit/quarantine").where(F.col("run_id") == RUN_A)
    keyed = q.withColumn(
        "key", F.expr("CASE extract " + " ".join(f"WHEN '{e}' THEN {k}" for e, k in KEY_SQL.items()) + " END")
    )
    out: dict[tuple[str, str], tuple[set[tuple[str, str]], int]] = {}
    rows = keyed.groupBy("extract", "key").agg(
        F.collect_set(F.struct("rule", "field")).alias("findings"),
        F.countDistinct("source_file", "source_row").alias("rows"),
    )
    for r in rows.collect():
        out[(r["extract"], r["key"])] = ({(f["rule"], f["field"]) for f in r["findings"]}, r["rows"])
    return out


@pytest.fixture(scope="module")
def quarantined(spark: SparkSession, run: Run) -> dict[tuple[str, str], tuple[set[tuple[str, str]], int]]:
    return _quarantined(spark, run)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case_id" in metafunc.fixturenames:
        metafunc.parametrize("case_id", CASE_IDS)


CASE_IDS = [
    "collateral: negative vm_received",
    "collateral: margined 'Y'",
    "collateral: remargin_period_days 1.5",
    "collateral: counterparty_type BANK",
    "collateral: cva_exempt 'yes'",
    "collateral: netting set delivered twice",
    "collateral: currency without FX rate",
    "collateral: vm_received, threshold and mta 1e99 (hard limits)",
    "market_data: PRICE 'n/a' (options on it lose their price)",
    "market_data: unknown kind, negative FX rate, duplicated key, empty value",
    "market_data: FX rates 1e12 and 1e-12 (hard limits)",
    "notional '12,000' (thousands separator)",
    "notional 1e999 (not finite)",
    "notional -5",
    "notional empty",
    "maturity 20/11/2027 (not ISO)",
    "maturity 2027-02-30 (no such day)",
    "maturity before the as-of date",
    "asset class RATES",
    "direction BUY",
    "IR start after end",
    "IR end date missing",
    "IR period ended",
    "FX second currency missing",
    "FX second notional missing",
    "FX both legs in one currency",
    "option without strike",
    "option exercised after maturity",
    "option exercise before as-of",
    "option on an unknown underlying",
    "option type CALLS",
    "tranche attachment = detachment",
    "single-name credit quality CQS7",
    "credit reference entity missing",
    "commodity type missing",
    "commodity type GAS",
    "commodity missing",
    "is_volatility 'maybe'",
    "quantity on an IR swap",
    "attachment on an IR swap",
    "basis and volatility at once",
    "notional 500bn (plausibility warning only)",
    "trade_date 2024/01/15 (not ISO)",
    "trade entered after the as-of date",
    "notional 9e99 (hard limit; also the plausibility warning)",
    "FX notional_2 1e99 (hard limit)",
    "notional 1e-300 (number grammar: exponent of 3 digits)",
    "notional 0.(300 zeros)1 (number grammar: 301 decimals)",
    "one entity, two credit qualities",
    "trade row delivered twice",
    "unknown netting set",
    "trade without valuation",
    "truncated file (last line cut after notional)",
    "one line with ';' as delimiter",
    "mtm 'abc'",
    "mtm empty",
    "valuation delivered twice",
    "mtm currency without FX rate",
    "valuation of an unknown trade",
    "MtM ten times the notional (plausibility warning only)",
    "mtm 1e99 (hard limit)",
    "trade_id with a no-break space",
    "netting_set_id in full-width digits",
    "market_data key with a no-break space",
    "product with a line break inside quotes (RFC 4180)",
]


def test_catalogue_ids_match_the_cases(run: Run) -> None:
    assert [c.id for c in run.catalogue.cases] == CASE_IDS


def test_case_quarantines_exactly_its_rows_for_its_rules(run: Run, quarantined, case_id: str) -> None:
    case = next(c for c in run.catalogue.cases if c.id == case_id)
    for key, findings in case.quarantined.items():
        assert key in quarantined, f"{key} not quarantined"
        got, rows = quarantined[key]
        assert got == findings, f"{key}: rules {sorted(got)}, expected {sorted(findings)}"
        assert rows == case.copies.get(key, 1), f"{key}: {rows} rows quarantined"


def test_nothing_else_is_quarantined(run: Run, quarantined) -> None:
    expected = {key for case in run.catalogue.cases for key in case.quarantined}
    assert set(quarantined) == expected


def test_rows_in_equal_rows_in_silver_plus_rows_quarantined(spark: SparkSession, run: Run) -> None:
    q = run.table(spark, "audit/quarantine").where(F.col("run_id") == RUN_A)
    for extract in EXTRACTS:
        rows_in = run.bronze[extract].count()
        silver = run.silver[extract].count()
        held = q.where(F.col("extract") == extract).select("source_file", "source_row").distinct().count()
        counts = run.counts(extract)
        assert rows_in == silver + held, extract
        assert (counts.rows_in, counts.rows_passed, counts.rows_quarantined) == (rows_in, silver, held)


def test_a_quoted_line_break_stays_in_its_value(run: Run) -> None:
    """trades.csv holds quotes, so it is read as RFC 4180 records: the line break is in the product of one
    bronze row, which passed to silver."""
    trade_id = run.catalogue.line_break_trade
    bronze = run.bronze["trades"].where(F.col("trade_id") == trade_id).collect()
    assert [(r["product"], r["malformed_record"]) for r in bronze] == [("IRS\nvanilla", None)]
    assert run.silver["trades"].where(F.col("trade_id") == trade_id).count() == 1


def test_silver_rows_are_typed_and_none_was_quarantined(spark: SparkSession, run: Run) -> None:
    silver = run.silver["trades"]
    types = dict(silver.dtypes)
    assert (types["notional"], types["maturity_date"], types["is_index"]) == ("double", "date", "boolean")
    q = run.table(spark, "audit/quarantine").where(F.col("extract") == "trades")
    assert silver.join(q, ["source_file", "source_row"], "left_semi").count() == 0


def test_dq_results_count_every_rule_exactly(spark: SparkSession, run: Run) -> None:
    results = run.table(spark, "audit/dq_results").where(
        (F.col("run_id") == RUN_A) & (F.col("severity") == "critical")
    )
    got = Counter()
    for r in results.where(F.col("expectation") != "rejected_share").collect():
        got[(r["extract"], r["rule"], r["column"])] += r["unexpected_count"]
    expected = run.catalogue.expected_findings()
    assert {k: v for k, v in got.items() if v} == dict(expected)


def test_dq_results_hold_gx_and_spark_results_for_every_rule(spark: SparkSession, run: Run) -> None:
    from saccr_pipeline.quality.rules import load_suites

    results = run.table(spark, "audit/dq_results").where(F.col("run_id") == RUN_A)
    by_source = {r["source"]: r["count"] for r in results.groupBy("source").count().collect()}
    suites = load_suites()
    gx = sum(len(s.gx_rules) for s in suites.values())
    spark_checks = sum(len(s.rules) - len(s.gx_rules) for s in suites.values())
    # + one rejected_share row per extract, + the date's run-level checks
    assert by_source == {"gx": gx, "spark": spark_checks + len(EXTRACTS) + 1}
    failing = results.where(~F.col("success") & (F.col("severity") == "critical") & (F.col("source") == "gx"))
    row = failing.where((F.col("rule") == "positive") & (F.col("column") == "notional")).first()
    assert row["unexpected_count"] == 1 and row["element_count"] > 0 and row["failing_keys"]


def test_warnings_are_reported_not_quarantined(spark: SparkSession, run: Run, quarantined) -> None:
    results = run.table(spark, "audit/dq_results").where(
        (F.col("run_id") == RUN_A) & (F.col("severity") == "warning")
    )
    got = {
        (r["extract"], r["rule"]): set(r["failing_keys"]) for r in results.collect() if r["unexpected_count"]
    }
    assert got == run.catalogue.expected_warnings()
    big = next(c for c in run.catalogue.cases if c.id == "notional 500bn (plausibility warning only)")
    assert not big.quarantined and not any(key in quarantined for key in big.warnings["notional_implausible"])


def test_quarantine_row_keeps_the_row_as_delivered(spark: SparkSession, run: Run) -> None:
    q = run.table(spark, "audit/quarantine").where(
        (F.col("rule") == "positive") & (F.col("field") == "notional")
    )
    row = q.first()
    record = json.loads(row["record"])
    assert record["notional"] == "-5" and record["trade_id"] == row["trade_id"]
    assert set(record) == {*EXTRACTS["trades"], "malformed_record"}  # every column, null ones too
    assert row["message"] == "notional must be > 0 (got '-5') [expect_column_values_to_be_between]"
    assert (row["stage"], row["run_id"], row["as_of_date"]) == ("validate", RUN_A, AS_OF)


def test_rejected_share_above_the_setting_stops_the_date(run: Run) -> None:
    counts = {e: run.counts(e) for e in EXTRACTS}
    problems = rejected_share_problems(counts, 0.05)
    assert {p.split(":")[0] for p in problems} >= {"trades", "collateral"}
    assert not rejected_share_problems(counts, 1.0)


def test_data_docs_are_published_under_the_lakehouse(run: Run) -> None:
    """The GX site of the batch the date was validated in, and the date's page leading to it."""
    site = Path(run.lake.data_docs) / "batches" / "a"
    index = (site / "index.html").read_text()
    assert all(extract in index for extract in EXTRACTS)
    assert list(site.glob("validations/**/*.html"))
    page = (Path(run.lake.data_docs) / AS_OF.isoformat() / RUN_A / "index.html").read_text()
    assert "../../batches/a/index.html" in page


def test_a_retried_step_replaces_the_runs_audit_rows(spark: SparkSession, run: Run) -> None:
    def rows(table: str) -> list[tuple]:
        frame = run.table(spark, table).where(F.col("run_id") == RUN_A)
        frame = frame.drop("quarantined_at", "evaluated_at")
        return sorted(tuple(map(str, r)) for r in frame.collect())

    before = {t: rows(t) for t in ("audit/quarantine", "audit/dq_results")}
    run_step(run.job, step_named("validate"), [AS_OF], "a", quiet)
    assert {t: rows(t) for t in before} == before
    assert run.job.run_log.run_steps(RUN_A)["validate"].counts == run.validated.counts


def test_a_new_run_adds_its_rows_and_stops_on_rejected_share(
    spark: SparkSession, run: Run, sample_text, tmp_path: Path
) -> None:
    text = {e: f.copy() for e, f in sample_text.items()}
    bad = [{"kind": "FX", "key": f"X{i}", "value": "-1"} for i in range(5)]  # 5 of 57 rows: 8.8% > 5%
    text["market_data"] = pd.concat([text["market_data"], pd.DataFrame(bad)], ignore_index=True)
    write_delivery(tmp_path / "landing", text)
    job_b = make_job(spark, Path(run.lake.root), tmp_path / "landing", max_rejected_share=0.05)
    silver = {e: current_version(run.lake, f"silver/{e}") for e in EXTRACTS}
    run_a = run.table(spark, "audit/quarantine").where(F.col("run_id") == RUN_A).count()
    with pytest.raises(DataQualityError, match=r"market_data: 5 of 57 rows quarantined \(8.8%\)"):
        ingest_and_validate(job_b, "b")

    assert {e: current_version(run.lake, f"silver/{e}") for e in EXTRACTS} == silver  # untouched
    assert job_b.run_log.run_steps(RUN_B)["validate"].status == "failed"
    q = run.table(spark, "audit/quarantine").where(F.col("as_of_date") == AS_OF)
    assert q.where(F.col("run_id") == RUN_A).count() == run_a  # the earlier run's audit trail stays
    b = q.where(F.col("run_id") == RUN_B).collect()
    assert len(b) == 5 and {r["rule"] for r in b} == {"fx_rate_positive"}  # the rest of the sample is clean
    share = (
        run.table(spark, "audit/dq_results")
        .where((F.col("run_id") == RUN_B) & (F.col("expectation") == "rejected_share"))
        .collect()
    )
    assert {r["extract"]: r["success"] for r in share} == {
        "market_data": False, "collateral": True, "valuations": True, "trades": True,
    }  # fmt: skip
