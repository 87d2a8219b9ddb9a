"""The least the compute step's Spark side can cost, against the compute step itself and the engine alone.

    .venv/bin/python scripts/bench_compute_floor.py [--work bench_results/pipeline] [--rounds 3]

Runs on the lakehouse and extracts that `scripts/bench_pipeline.py` left in `--work` (its last run's silver
tables, at the versions its compute step read), in a fresh JVM on local[2], as a `spark-submit` of the compute
step starts. Each round times, in this order, four jobs over the same inputs, each one doing what the one
before did and more:

    read     the engine's inputs from silver (both cogroup sides, bucket column) into a noop sink
    shuffle  + hash-partitioned and sorted by bucket, as the cogroup's exchange and sort do
    arrow    + the cogroup's applyInPandas, with a UDF that returns no rows: each bucket's rows sent to Python
               through Arrow and made pandas frames, no engine, nothing written. Any design that runs the
               engine in a grouped pandas UDF over silver pays at least this
    compute  the compute step itself (saccr_pipeline.steps.compute.compute_to_staging, into a scratch folder)

The first round shows what a JVM that has not run these jobs pays (its JIT compiler busy with them), later
rounds what a warm one pays. Then, with Spark stopped, the engine alone on the same extracts, as in
bench_pipeline.py, and every job over the engine.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_pipeline import AS_OF, CpuMeter, engine_alone, print_engine_alone

from saccr_pipeline.steps.job import add_spark_conf_argument

JOBS = ("read", "shuffle", "arrow", "compute")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("bench_results/pipeline"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine-runs", type=int, default=3, help="calls of the engine alone (median)")
    parser.add_argument("--driver-memory", default="8g", help="local mode: the JVM of driver and executor")
    add_spark_conf_argument(parser)
    args = parser.parse_args()
    work = args.work.resolve()
    lakehouses = sorted(work.glob("lakehouse-*"))
    if len(lakehouses) != 1 or not (work / "landing").is_dir():
        parser.error(f"no single lakehouse-* and landing/ in {work}: run scripts/bench_pipeline.py first")

    from saccr_pipeline.config.settings import load_settings
    from saccr_pipeline.lakehouse.run_log import published, run_steps
    from saccr_pipeline.lakehouse.spark import build_spark
    from saccr_pipeline.steps.bucket_engine import TAGGED_SCHEMA
    from saccr_pipeline.steps.compute import by_bucket, compute_to_staging, engine_inputs
    from saccr_pipeline.steps.job import job_for, job_spark_conf

    settings = dataclasses.replace(load_settings(), lakehouse_root=str(lakehouses[0]))
    conf = job_spark_conf(settings) | {"spark.driver.memory": args.driver_memory, "spark.ui.enabled": "false"}
    conf |= dict(args.conf)
    spark = build_spark("saccr-bench-floor", settings, master="local[2]", extra_conf=conf)
    job = job_for(spark, settings)
    meter = CpuMeter(spark)
    computed = published(spark, job.lake, AS_OF, step="compute")  # the latest successful compute step
    if computed is None:
        parser.error(f"no successful compute of {AS_OF} in {lakehouses[0]}: run scripts/bench_pipeline.py")
    run_id = computed.run_id
    versions = dict(run_steps(spark, job.lake, run_id)["compute"]["input_versions"])
    partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))
    staging = Path(tempfile.mkdtemp(prefix="floor-staging-", dir=work))
    print(f"Spark {spark.version} local[2], {job.bucket_count} buckets, run {run_id} in {lakehouses[0]}")

    def no_rows(trades: pd.DataFrame, netting_set_rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({f.name: pd.Series([], dtype=object) for f in TAGGED_SCHEMA.fields})

    def run(name: str) -> None:
        if name == "compute":
            compute_to_staging(
                spark, job.lake, AS_OF, run_id, job.params, job.options, job.bucket_count, versions,
                staging=str(staging),
            )  # fmt: skip
            return
        inputs = engine_inputs(spark, job.lake, AS_OF, run_id, versions, job.bucket_count)
        sides = [inputs.trades, inputs.netting_set_rows]
        if name == "arrow":  # the compute step's own cogroup
            sides = [by_bucket(inputs).applyInPandas(no_rows, schema=TAGGED_SCHEMA)]
        elif name == "shuffle":
            sides = [side.repartition(partitions, "bucket").sortWithinPartitions("bucket") for side in sides]
        for side in sides:
            side.write.format("noop").mode("overwrite").save()

    rounds: list[dict[str, dict[str, float]]] = []
    for i in range(args.rounds):
        rounds.append({})
        for name in JOBS:
            before, started = meter.read(), time.perf_counter()
            run(name)
            wall, after = time.perf_counter() - started, meter.read()
            rounds[-1][name] = {"wall": wall} | {k: after[k] - before[k] for k in CpuMeter.FIELDS}
        print(f"round {i + 1}: " + ", ".join(f"{n} {t['wall']:.1f} s" for n, t in rounds[-1].items()))
    spark.stop()
    shutil.rmtree(staging, ignore_errors=True)
    engine = print_engine_alone(*engine_alone(work / "landing", args.engine_runs))

    warm = rounds[1:] or rounds
    print(f"\nround 1: wall and CPU s; warm: median wall of rounds 2-{len(rounds)}; x: over the engine alone")
    print(f"{'job':<8} {'wall':>6} {'JVM':>6} {'JIT':>6} {'Python':>6} {'x':>6} {'warm':>6} {'x':>6}")
    for name in JOBS:
        first = rounds[0][name]
        wall = statistics.median(r[name]["wall"] for r in warm)
        print(
            f"{name:<8} {first['wall']:6.1f} {first['jvm']:6.1f} {first['jit']:6.1f} "
            f"{first['python_workers']:6.1f} {first['wall'] / engine:6.1f} {wall:6.1f} {wall / engine:6.1f}"
        )
    print(f"3x the engine alone: {3 * engine:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
