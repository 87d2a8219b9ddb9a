"""Benchmark of the validate step (GX suites + quarantine predicates) on generated bronze data.

    .venv/bin/python scripts/bench_quality.py [--trades 1000000] [--netting-sets 20000] [--runs 3]
                                              [--master local[2]] [--driver-memory 8g] [--bad-share 0.001]

Generates the extracts once, writes them as CSV, loads them the way ingest does (text columns plus lineage)
into bronze Delta tables in a temporary folder, corrupts `--bad-share` of the trades' notionals, then times
`quality.validation.validate_bronze` plus counting the quarantine and the passed rows (the work silver and
the audit writes would trigger). Prints each run with its phases (load, gx, rules, outputs) and the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from pyspark.sql import functions as F

from saccr.contract import EXTRACTS
from saccr_pipeline.config.settings import load_settings
from saccr_pipeline.extracts import write_extracts
from saccr_pipeline.lakehouse.spark import build_spark
from saccr_pipeline.landing import check_delivery
from saccr_pipeline.quality.validation import QualityContext, validate_bronze
from saccr_pipeline.sample.generate import generate
from saccr_pipeline.steps.ingest import landing_rows

AS_OF = dt.date(2026, 11, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--netting-sets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--bad-share", type=float, default=0.001, help="share of trades with notional 'n/a'")
    parser.add_argument(
        "--columnar-cache-rows", type=int, default=load_settings().dq_columnar_cache_rows,
        help="extracts of at least this many rows are validated from the columnar cache (default: settings)",
    )  # fmt: skip
    parser.add_argument(
        "--gx-pandas-rows", type=int, default=load_settings().dq_gx_pandas_rows,
        help="GX validates extracts of fewer rows on pandas, larger ones on Spark (default: settings)",
    )  # fmt: skip
    args = parser.parse_args()

    spark = build_spark(
        "bench-quality",
        master=args.master,
        extra_conf={
            "spark.driver.memory": args.driver_memory,
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "4",
        },
    )
    spark.sparkContext.setLogLevel("ERROR")
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        start = time.perf_counter()
        frames = generate(AS_OF, args.trades, args.netting_sets, args.seed)
        write_extracts(frames, Path(tmp) / "landing" / AS_OF.isoformat())
        delivery = check_delivery(str(Path(tmp) / "landing"), AS_OF)
        bronze = {}
        for extract in EXTRACTS:
            rows = landing_rows(spark, [delivery.files[extract]], extract)
            if extract == "trades":  # a few bad rows, so the quarantine path does real work
                bad = F.rand(args.seed) < args.bad_share
                rows = rows.withColumn("notional", F.when(bad, F.lit("n/a")).otherwise(F.col("notional")))
            table = f"{tmp}/bronze/{extract}"
            rows.write.format("delta").partitionBy("as_of_date").save(table)
            bronze[extract] = spark.read.format("delta").load(table)
        sizes = {e: f.count() for e, f in bronze.items()}
        print(f"bronze ready in {time.perf_counter() - start:.1f} s: {sizes}")

        ctx = QualityContext(
            {AS_OF: "20261120-bench"}, "USD", max_rejected_share=1.0,
            columnar_cache_rows=args.columnar_cache_rows, gx_pandas_rows=args.gx_pandas_rows,
        )  # fmt: skip
        times = []
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            outcome = validate_bronze(spark, bronze, ctx)
            before = time.perf_counter()
            quarantined = outcome.quarantine.count()
            passed = {e: f.count() for e, f in outcome.passed.items()}
            outcome.results.count()
            phases = {**outcome.seconds, "outputs": round(time.perf_counter() - before, 3)}
            times.append(time.perf_counter() - start)
            print(f"run {run}: {times[-1]:.1f} s {phases}; quarantine rows {quarantined:,}; passed {passed}")
    median = statistics.median(times)
    print(f"median of {len(times)} runs: {median:.1f} s for {sizes['trades']:,} trades ({args.master})")
    spark.stop()


if __name__ == "__main__":
    main()
