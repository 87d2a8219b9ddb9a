"""Benchmark of the engine alone (no Spark, no I/O) on generated data.

    .venv/bin/python scripts/bench_engine.py [--trades 1000000] [--netting-sets 20000] [--runs 5]

Generates the extracts once in memory (the generator's time is not counted), then times
`saccr.engine.compute` over all of them in one call, pinned to one core where the OS allows it.
Prints each run's wall and CPU time, the medians, trades per second on both, and the process's peak resident
memory. CPU time is the figure to compare on a busy machine, where wall time includes waiting for the core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import time

from saccr.engine import CalculationOptions, compute
from saccr_pipeline.config.regimes import load_parameters
from saccr_pipeline.sample.generate import generate

AS_OF = dt.date(2026, 11, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--netting-sets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says

    frames = generate(AS_OF, args.trades, args.netting_sets, args.seed)
    params, options = load_parameters(), CalculationOptions()
    largest = frames["trades"]["netting_set_id"].value_counts().iloc[0]
    print(
        f"{len(frames['trades']):,} trades, {len(frames['collateral']):,} netting sets (largest {largest:,})"
    )
    times, cpu = [], []
    for run in range(1, args.runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = compute(
            frames["trades"],
            frames["valuations"],
            frames["collateral"],
            frames["market_data"],
            AS_OF,
            params,
            options,
        )
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        print(
            f"run {run}: {times[-1]:.3f} s wall, {cpu[-1]:.3f} s CPU, "
            f"{len(result.netting_sets):,} netting sets, "
            f"{len(result.rejected):,} rejected rows"
        )
    median, median_cpu = statistics.median(times), statistics.median(cpu)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"median over {args.runs} runs: {median:.3f} s wall -> {args.trades / median:,.0f} trades/s; "
        f"{median_cpu:.3f} s CPU -> {args.trades / median_cpu:,.0f} trades/s per core; "
        f"peak RSS {peak_mb:,.0f} MB (includes the generated inputs)"
    )


if __name__ == "__main__":
    main()
