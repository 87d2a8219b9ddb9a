"""Benchmark of the Spark + Delta pipeline (`saccr run`) on generated data, against the engine alone.

    .venv/bin/python scripts/bench_pipeline.py [--trades 1000000] [--netting-sets 20000] [--runs 3]
        [--buckets 16] [--driver-memory 8g] [--work bench_results/pipeline] [--udf-layouts]
        [--warm-compute N] [--no-engine | --engine-only]

Generates one date of extracts (CSV; skewed netting sets, the largest above 100,000 trades at the defaults)
into `<work>/landing` once and reuses them while their sizes match. Each run goes through every step on a
fresh lakehouse on local[2] and prints the wall time of each step; then, with Spark stopped, the engine alone
(`saccr.engine.compute` in this process, extracts already in memory) is timed `--runs` times on the same
extracts. The summary has the medians, trades per second of the whole run and of the compute step, and the
compute step over the engine alone (both medians).

Each step's CPU seconds are measured too (Linux /proc): the Spark JVM, the Python workers and this driver
process, and beside them the time the JVM's JIT compiler threads spent compiling (its CompilationMXBean;
elapsed, and part of the JVM's CPU). JVM + Python + driver over the 2 cores of local[2] is the shortest wall
time the step could take on this machine. `--warm-compute N` then repeats the compute step N
times on the last run's silver tables in the same, by then warm, JVM: the cost per date of a long-lived Spark
application, without the JVM's warm-up that each step of a fresh run pays.

`--udf-layouts` also times the compute step's two possible UDF layouts on the last run's silver tables
(noop sink): one UDF returning the tagged union of the four outputs (what the pipeline does) against one
UDF per output (the engine run once per output).

Above 2.5 million trades the extracts are written as k copies of a 1/k-size book with renamed trade and
netting-set ids (same skew, k largest sets), one copy in memory at a time. At 10 million trades the engine
and a Spark JVM do not fit in the machine's memory together: run the pipeline with `--no-engine`, then the
engine alone with `--engine-only` (same `--trades`, `--netting-sets` and `--work`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from saccr.contract import EXTRACTS
from saccr.engine import compute
from saccr_pipeline.extracts import read_extract, write_extracts
from saccr_pipeline.sample.generate import generate
from saccr_pipeline.steps.job import add_spark_conf_argument

AS_OF = dt.date(2026, 11, 20)
STEPS = ("ingest", "validate", "compute", "publish", "marts")
CHUNK = 2_500_000  # trades per generated copy above this size


def landing_for(work: Path, trades: int, netting_sets: int, seed: int) -> Path:
    """Extract files of AS_OF under `<work>/landing/<date>/`, generated unless present with these sizes."""
    landing = work / "landing"
    marker = landing / "sizes.json"
    wanted = {"trades": trades, "netting_sets": netting_sets, "seed": seed}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return landing
    shutil.rmtree(landing, ignore_errors=True)
    started = time.perf_counter()
    copies = max(1, -(-trades // CHUNK))
    folder = landing / AS_OF.isoformat()
    for k in range(copies):  # one copy in memory at a time, appended to the files of the first
        frames = generate(AS_OF, trades // copies, netting_sets // copies, seed)
        if k == 0:
            write_extracts(frames, folder)
            continue
        frames = _renamed(frames, f"C{k}")
        part = write_extracts({n: f for n, f in frames.items() if n != "market_data"}, work / "part")
        for name, path in part.items():  # same catalogue, same market data: append the rows only
            with open(path, "rb") as source, open(folder / f"{name}.csv", "ab") as target:
                source.readline()
                shutil.copyfileobj(source, target)
        del frames
    shutil.rmtree(work / "part", ignore_errors=True)
    marker.write_text(json.dumps(wanted))
    seconds = time.perf_counter() - started
    print(f"generated {trades:,} trades in {netting_sets:,} netting sets in {seconds:.0f} s")
    return landing


def _renamed(frames: dict[str, pd.DataFrame], prefix: str) -> dict[str, pd.DataFrame]:
    """Trade and netting-set ids of another copy of the book."""
    out = dict(frames)
    for name, columns in (("trades", ("trade_id", "netting_set_id")), ("valuations", ("trade_id",)),
                          ("collateral", ("netting_set_id",))):  # fmt: skip
        out[name] = frames[name].assign(**{c: prefix + frames[name][c].astype(str) for c in columns})
    return out


class CpuMeter:
    """CPU seconds spent so far by the Spark JVM (all its threads), by its JIT compiler threads (elapsed time,
    from the JVM's CompilationMXBean), by the PySpark Python workers (the `pyspark.daemon` processes and the
    workers they forked, live or ended) and by this driver process. Read from /proc: Linux only.

    Spark stops idle workers and may restart the daemon: each daemon's total is counted as it grows between
    readings, so a daemon that ends keeps what it had used at the last reading."""

    FIELDS = ("jvm", "jit", "python_workers", "driver")

    def __init__(self, spark) -> None:  # noqa: ANN001 - a SparkSession
        self.jvm = spark.sparkContext._jvm
        self.jvm_pid = int(self.jvm.java.lang.ProcessHandle.current().pid())
        self.tick = os.sysconf("SC_CLK_TCK")
        self.workers: dict[tuple[int, str], float] = {}  # daemon (pid, start) -> its tree, last read
        self.workers_total = 0.0

    def read(self) -> dict[str, float]:
        compilation = self.jvm.java.lang.management.ManagementFactory.getCompilationMXBean()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "jvm": self._stat(self.jvm_pid)[2],
            "jit": compilation.getTotalCompilationTime() / 1000,
            "python_workers": self._workers(),
            "driver": usage.ru_utime + usage.ru_stime,
        }

    def _workers(self) -> float:
        """Each daemon's tree: itself, the workers it reaped (its children's time) and its live workers."""
        stats = {pid: self._stat(pid) for pid in self._pids("pyspark.daemon")}
        stats = {pid: stat for pid, stat in stats.items() if stat}
        for pid, (parent, started, own, reaped) in stats.items():
            if parent in stats:
                continue  # a worker: counted in its daemon's tree
            live = sum(s[2] for s in stats.values() if s[0] == pid)
            tree = own + reaped + live
            self.workers_total += max(0.0, tree - self.workers.get((pid, started), 0.0))
            self.workers[(pid, started)] = tree
        return self.workers_total

    def _stat(self, pid: int) -> tuple[int, str, float, float] | None:
        """Parent pid, start time (identity beside the pid), own and reaped children's CPU seconds."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended since the listing
            return None
        own, reaped = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        return int(fields[1]), fields[19], own / self.tick, reaped / self.tick

    @staticmethod
    def _pids(marker: str) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                        pids.append(int(entry.name))
                except OSError:
                    continue
        return pids


def cpu_per_step(meter: CpuMeter, progress):  # noqa: ANN001, ANN201 - run_date's progress callback in, out
    """A progress callback that prints run_date's lines and records the CPU between step ends: each step
    gets the CPU spent since the previous step ended, the first since the run's start line (after the run's
    opening run_log row, which is no step's work)."""
    steps: dict[str, dict[str, float]] = {}
    last = meter.read()

    def callback(message: str) -> None:
        nonlocal last
        progress(message)
        words = message.split()
        if words[:1] == ["run"] and words[2:4] == ["as", "of"]:  # "run <id>: as of <date>, ..."
            last = meter.read()
        elif len(words) >= 3 and words[0] in STEPS and words[1:3] == ["done", "in"]:
            now = meter.read()
            steps[words[0]] = {k: now[k] - last[k] for k in CpuMeter.FIELDS}
            last = now

    return callback, steps


def print_cpu(per_run: list[dict[str, float]], cpu_runs: list[dict[str, dict[str, float]]]) -> None:
    """Medians of each step's CPU seconds by process, and the shortest wall time they allow on 2 cores."""
    print("  CPU seconds per step (medians; JIT = elapsed time of the JVM's compiler threads, part of JVM):")
    print(f"  {'step':<8} {'wall':>7} {'JVM':>7} {'JIT':>7} {'Python':>7} {'driver':>7} {'CPU/2':>7}")
    for step in STEPS:
        cpu = {k: statistics.median(run[step][k] for run in cpu_runs) for k in CpuMeter.FIELDS}
        floor = statistics.median(
            (run[step]["jvm"] + run[step]["python_workers"] + run[step]["driver"]) / 2 for run in cpu_runs
        )
        wall = statistics.median(r[step] for r in per_run)
        print(
            f"  {step:<8} {wall:7.1f} {cpu['jvm']:7.1f} {cpu['jit']:7.1f} {cpu['python_workers']:7.1f} "
            f"{cpu['driver']:7.1f} {floor:7.1f}"
        )


def warm_compute(  # noqa: ANN001 - runtime.Job
    job, run_id: str, versions: dict[str, int], runs: int, staging: Path, meter: CpuMeter
) -> list[dict[str, float]]:
    """The compute step repeated `runs` times on the last run's silver tables (at `versions`) in this, by now
    warm, JVM: wall and CPU seconds of each; what a long-lived Spark application would pay per date."""
    from saccr_pipeline.steps.compute import compute_to_staging

    out = []
    for _ in range(runs):
        before, started = meter.read(), time.perf_counter()
        compute_to_staging(
            job.spark, job.lake, AS_OF, run_id, job.params, job.options, job.bucket_count, versions,
            staging=str(staging),
        )  # fmt: skip
        wall, after = time.perf_counter() - started, meter.read()
        out.append({"wall": wall} | {k: after[k] - before[k] for k in CpuMeter.FIELDS})
    shutil.rmtree(staging, ignore_errors=True)
    walls = ", ".join(f"{w['wall']:.1f}" for w in out)
    med = {k: statistics.median(w[k] for w in out) for k in ("wall", *CpuMeter.FIELDS)}
    print(
        f"  compute repeated in this JVM: median {med['wall']:.1f} s (runs: {walls}); "
        f"CPU s: JVM {med['jvm']:.1f} (JIT {med['jit']:.1f}), Python {med['python_workers']:.1f}, "
        f"driver {med['driver']:.1f}"
    )
    return out


def engine_alone(landing: Path, runs: int) -> tuple[list[float], int]:
    """Seconds of each of `runs` calls of `saccr.engine.compute` over the extracts (read beforehand, one
    call after another in this process), and the trade count."""
    from saccr_pipeline.config.regimes import load_parameters

    frames = {name: read_extract(landing / AS_OF.isoformat() / f"{name}.csv", name)[0] for name in EXTRACTS}
    params = load_parameters()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        compute(**frames, as_of=AS_OF, params=params)
        seconds.append(time.perf_counter() - started)
    return seconds, len(frames["trades"])


def print_engine_alone(seconds: list[float], trades: int) -> float:
    """Print the engine-alone timings; their median."""
    median = statistics.median(seconds)
    runs = ", ".join(f"{s:.1f}" for s in seconds)
    print(f"  engine alone (one process, one call): median {median:.1f} s (runs: {runs}), ", end="")
    print(f"{trades / median:,.0f} trades/s")
    return median


def udf_layouts(job, run_id: str, versions: dict[str, int]) -> dict[str, float]:  # noqa: ANN001 - runtime.Job
    """Seconds of the compute step into a noop sink: tagged union (one engine run) vs one UDF per output."""
    from saccr_pipeline.steps.bucket_engine import RECORDS, BucketEngine, record_schema
    from saccr_pipeline.steps.compute import engine_inputs, engine_results

    inputs = engine_inputs(job.spark, job.lake, AS_OF, run_id, versions, job.bucket_count)
    timings = {}
    started = time.perf_counter()
    engine_results(inputs, AS_OF, job.params, job.options).write.format("noop").mode("overwrite").save()
    timings["tagged union, 1 UDF"] = time.perf_counter() - started
    engine = BucketEngine(AS_OF, inputs.market_data, job.params, job.options)
    started = time.perf_counter()
    for record in RECORDS:
        schema = record_schema(record)
        grouped = inputs.trades.groupBy("bucket").cogroup(inputs.netting_set_rows.groupBy("bucket"))
        udf = _one_output(engine, record, schema.names)
        grouped.applyInPandas(udf, schema=schema).write.format("noop").mode("overwrite").save()
    timings[f"one UDF per output ({len(RECORDS)})"] = time.perf_counter() - started
    return timings


def _one_output(engine, record: str, names: list[str]):  # noqa: ANN001, ANN202 - BucketEngine in, UDF out
    from saccr_pipeline.steps.bucket_engine import tagged

    def one_output(trades: pd.DataFrame, netting_set_rows: pd.DataFrame) -> pd.DataFrame:
        out = tagged(engine.compute(trades, netting_set_rows))
        return out.loc[out["record"] == record, names]

    return one_output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--netting-sets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--buckets", type=int, help="default: settings")
    parser.add_argument("--driver-memory", default="8g", help="local mode: the JVM of driver and executor")
    add_spark_conf_argument(parser)
    parser.add_argument("--work", type=Path, default=Path("bench_results/pipeline"))
    parser.add_argument("--udf-layouts", action="store_true")
    parser.add_argument(
        "--warm-compute", type=int, default=0, metavar="N",
        help="then repeat the compute step N times on the last run's silver tables in the warm JVM",
    )  # fmt: skip
    engine_timing = parser.add_mutually_exclusive_group()
    engine_timing.add_argument("--no-engine", action="store_true", help="skip timing the engine alone")
    engine_timing.add_argument("--engine-only", action="store_true", help="time the engine alone, no Spark")
    args = parser.parse_args()
    if args.engine_only and (args.udf_layouts or args.warm_compute):
        parser.error("--udf-layouts and --warm-compute need the pipeline runs: not with --engine-only")
    if args.engine_only:  # a book too large for the engine and a Spark JVM in one machine's memory
        landing = landing_for(args.work.resolve(), args.trades, args.netting_sets, args.seed)
        print_engine_alone(*engine_alone(landing, args.runs))
        return 0

    from saccr_pipeline.config.settings import load_settings
    from saccr_pipeline.lakehouse.spark import build_spark
    from saccr_pipeline.steps.job import job_for, job_spark_conf
    from saccr_pipeline.steps.pipeline import format_largest, run_date

    work = args.work.resolve()
    landing = landing_for(work, args.trades, args.netting_sets, args.seed)
    settings = load_settings()
    settings = dataclasses.replace(
        settings, landing_root=str(landing), bucket_count=args.buckets or settings.bucket_count
    )
    conf = job_spark_conf(settings) | {"spark.driver.memory": args.driver_memory, "spark.ui.enabled": "false"}
    conf |= dict(args.conf)
    spark = build_spark("saccr-bench", settings, master="local[2]", extra_conf=conf)
    print(
        f"Spark {spark.version} local[2], driver memory {args.driver_memory}, {settings.bucket_count} buckets"
    )

    meter = CpuMeter(spark)
    per_run: list[dict[str, float]] = []
    cpu_runs: list[dict[str, dict[str, float]]] = []
    last = None
    for i in range(args.runs):
        lakehouse = work / f"lakehouse-{i}"
        shutil.rmtree(lakehouse, ignore_errors=True)
        job = job_for(spark, dataclasses.replace(settings, lakehouse_root=str(lakehouse)))
        progress, cpu = cpu_per_step(meter, lambda m: print("   ", m))
        started = time.perf_counter()
        summary = run_date(job, AS_OF, progress=progress)
        total = time.perf_counter() - started
        per_run.append({**{s.step: s.seconds for s in summary.steps}, "total": total})
        cpu_runs.append(cpu)
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in per_run[-1].items()))
        if last is not None:
            shutil.rmtree(last[0].lake.root, ignore_errors=True)
        last = (job, summary)
    job, summary = last
    print("largest netting sets by EAD:\n" + format_largest(summary.largest))

    median = {k: statistics.median(r[k] for r in per_run) for k in (*STEPS, "total")}
    trades = summary.steps[0].counts["bronze.trades"]
    print(f"\n{trades:,} trades, {args.netting_sets:,} netting sets, medians of {args.runs} run(s):")
    for step in (*STEPS, "total"):
        print(f"  {step:<8} {median[step]:8.1f} s   (runs: {', '.join(f'{r[step]:.1f}' for r in per_run)})")
    print(f"  pipeline {trades / median['total']:,.0f} trades/s", end="; ")
    print(f"compute step {trades / median['compute']:,.0f} trades/s")
    print_cpu(per_run, cpu_runs)
    warm = []
    if args.warm_compute or args.udf_layouts:
        from saccr_pipeline.lakehouse.run_log import run_steps

        versions = dict(run_steps(job.spark, job.lake, summary.run_id)["compute"]["input_versions"])
    if args.warm_compute:
        warm = warm_compute(job, summary.run_id, versions, args.warm_compute, work / "warm-staging", meter)
    if args.udf_layouts:
        for layout, seconds in udf_layouts(job, summary.run_id, versions).items():
            print(f"  compute into noop, {layout}: {seconds:.1f} s")
    spark.stop()  # the engine alone runs without a Spark JVM beside it
    if not args.no_engine:
        engine = print_engine_alone(*engine_alone(landing, args.runs))
        print(f"  compute step / engine alone: {median['compute'] / engine:.2f}")
        if warm:
            warm_median = statistics.median(w["wall"] for w in warm)
            print(f"  compute repeated in a warm JVM / engine alone: {warm_median / engine:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
