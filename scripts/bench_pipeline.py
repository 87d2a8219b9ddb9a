"""Benchmark of the pipeline as operators run it, on generated data: every run is the real command in a fresh
process (a fresh Spark JVM) on a fresh lakehouse, timed from outside; the seconds of each step come from the
run log.

    .venv/bin/python scripts/bench_pipeline.py single --trades 2000 --netting-sets 40 [--runs 3]
    .venv/bin/python scripts/bench_pipeline.py range --dates 20 --trades 20000 --netting-sets 400 [--runs 1]
    .venv/bin/python scripts/bench_pipeline.py dag --trades 20000 --netting-sets 400 [--runs 1]

- `single`: one business date through `saccr run --as-of D`.
- `range`: `--dates` consecutive business dates (`saccr generate --days`) through `saccr run --from --to`,
  and, in the same benchmark run, the first of them alone through `saccr run --as-of` (interleaved when
  --runs > 1): the range's time over one date's is the figure the pipeline issue asks for.
- `dag`: one date through `airflow dags test saccr_daily` (a throw-away AIRFLOW_HOME, migrated before timing),
  every step a spark-submit as in production.

Extracts are generated once into `<work>/landing-<trades>x<dates>` and reused. Medians are printed with every
run's figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FIRST = dt.date(2026, 11, 2)  # a Monday: --days counts weekdays from here
STEPS = ("ingest", "validate", "compute", "publish", "marts")


def landing_for(work: Path, trades: int, netting_sets: int, dates: int) -> Path:
    landing = work / f"landing-{trades}x{dates}"
    if not (landing / "done").exists():
        shutil.rmtree(landing, ignore_errors=True)
        out = landing if dates > 1 else landing / FIRST.isoformat()
        command = [
            str(BIN / "saccr"),
            "generate",
            "--as-of",
            FIRST.isoformat(),
            "--trades",
            str(trades),
            "--netting-sets",
            str(netting_sets),
            "--days",
            str(dates),
            "--seed",
            "7",
            "--out",
            str(out),
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        (landing / "done").touch()
    return landing


def business_dates(landing: Path) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(p.name) for p in landing.iterdir() if p.is_dir())


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds


def step_seconds(lakehouse: Path) -> dict[str, float]:
    """Seconds per step of the runs in `lakehouse` (a batch counts once per step), from audit/run_log."""
    from saccr_pipeline.lakehouse.run_log import RunLog
    from saccr_pipeline.lakehouse.tables import Lakehouse

    rows = RunLog(Lakehouse(str(lakehouse))).rows()
    steps = rows[rows["step"].isin(STEPS) & (rows["status"] == "success")]
    # every date of a batch carries the batch's wall time: one per (step, logged_at)
    once = steps.drop_duplicates(["step", "logged_at"])
    return {step: float(once.loc[once["step"] == step, "seconds"].sum()) for step in STEPS}


def saccr_run(work: Path, landing: Path, dates: list[dt.date], tag: str) -> tuple[float, dict[str, float]]:
    lakehouse = work / f"lakehouse-{tag}"
    shutil.rmtree(lakehouse, ignore_errors=True)
    span = (
        ["--as-of", dates[0].isoformat()]
        if len(dates) == 1
        else ["--from", dates[0].isoformat(), "--to", dates[-1].isoformat()]
    )
    seconds = timed(
        [str(BIN / "saccr"), "run", *span, "--landing", str(landing), "--lakehouse", str(lakehouse)]
    )
    steps = step_seconds(lakehouse)
    shutil.rmtree(lakehouse, ignore_errors=True)
    return seconds, steps


def dag_test(work: Path, landing: Path, day: dt.date, home: Path) -> tuple[float, dict[str, float]]:
    lakehouse = work / "lakehouse-dag"
    shutil.rmtree(lakehouse, ignore_errors=True)
    env = {**os.environ, "SACCR_LANDING": str(landing), "SACCR_LAKEHOUSE": str(lakehouse)} | airflow_env(home)
    conf = json.dumps({"as_of_date": day.isoformat()})
    seconds = timed([str(BIN / "airflow"), "dags", "test", "saccr_daily", "-c", conf], env)
    steps = step_seconds(lakehouse)
    shutil.rmtree(lakehouse, ignore_errors=True)
    return seconds, steps


def airflow_env(home: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW_CONN_SPARK_SACCR": json.dumps({"conn_type": "spark", "host": "local[2]"}),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYSPARK_PYTHON": sys.executable,
    }


def report(label: str, runs: list[tuple[float, dict[str, float]]]) -> float:
    walls = [w for w, _ in runs]
    median = statistics.median(walls)
    steps = {s: statistics.median(r[s] for _, r in runs) for s in STEPS}
    print(f"{label}: median {median:.1f} s (runs: {', '.join(f'{w:.1f}' for w in walls)})")
    print("    steps (median s): " + ", ".join(f"{s} {v:.1f}" for s, v in steps.items()))
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("single", "range", "dag"))
    parser.add_argument("--trades", type=int, default=20_000)
    parser.add_argument("--netting-sets", type=int, default=400)
    parser.add_argument("--dates", type=int, default=20, help="range: business dates in the range")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--work", type=Path, default=REPO / "bench_results" / "pipeline")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    dates_wanted = args.dates if args.mode == "range" else 1
    landing = landing_for(work, args.trades, args.netting_sets, dates_wanted)
    dates = business_dates(landing)
    print(
        f"{args.trades:,} trades, {args.netting_sets:,} netting sets a date; {len(dates)} date(s) "
        f"{dates[0]}..{dates[-1]}; {os.cpu_count()} cores"
    )
    if args.mode == "single":
        report("saccr run --as-of", [saccr_run(work, landing, dates[:1], "single") for _ in range(args.runs)])
    elif args.mode == "range":
        one, many = [], []
        for _ in range(args.runs):
            one.append(saccr_run(work, landing, dates[:1], "one"))
            many.append(saccr_run(work, landing, dates, "range"))
        single = report("one date, saccr run --as-of", one)
        ranged = report(f"{len(dates)} dates, saccr run --from --to", many)
        print(f"range / one date: {ranged / single:.2f}; {ranged / len(dates):.1f} s a date in the range")
    else:
        with tempfile.TemporaryDirectory(prefix="bench-airflow-") as home:
            env = {**os.environ} | airflow_env(Path(home))
            subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
            report(
                "airflow dags test saccr_daily",
                [dag_test(work, landing, dates[0], Path(home)) for _ in range(args.runs)],
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
