#!/usr/bin/env bash
# The daily DAG end to end on sample data, no scheduler needed: generate one business date's extracts into
# landing/<date>/, run `saccr_daily` for that date with `airflow dags test` (dag.test(): the tasks run one after
# the other in this process, every Spark step through spark-submit and the spark_saccr connection), then show
# the published netting sets and where the tables and Data Docs are.
#
#   scripts/demo.sh                 # AS_OF=2026-11-20 TRADES=20000 NETTING_SETS=400 by default
#   AS_OF=2026-11-19 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

AS_OF=${AS_OF:-2026-11-20}
TRADES=${TRADES:-20000}
NETTING_SETS=${NETTING_SETS:-400}
LANDING=landing/$AS_OF

# shellcheck source=scripts/airflow_env.sh
source scripts/airflow_env.sh

step() {
    echo "==> $*"
    local start=$SECONDS
    "$@"
    echo "    done in $((SECONDS - start)) s"
}

step .venv/bin/saccr generate --as-of "$AS_OF" --trades "$TRADES" --netting-sets "$NETTING_SETS" --seed 7 \
    --out "$LANDING"
log="$AIRFLOW_HOME/demo-$AS_OF.log"
echo "==> airflow dags test saccr_daily (as_of_date $AS_OF); task log in $log"
start=$SECONDS
if ! airflow dags test saccr_daily -c "{\"as_of_date\": \"$AS_OF\"}" >"$log" 2>&1; then
    echo "the DAG run failed; its errors (full log: $log):" >&2
    grep -E "Task failed|Error|error" "$log" | tail -n 20 >&2
    exit 1
fi
echo "    done in $((SECONDS - start)) s"
.venv/bin/python - "$AS_OF" "$log" 2>>"$log" <<'EOF'
"""Show what the run published for the date, or why it did not."""
import datetime as dt
import glob
import re
import sys

from saccr_pipeline.lakehouse.tables import Lakehouse, read
from saccr_pipeline.lakehouse.run_log import published
from saccr_pipeline.steps.job import job_spark_conf
from saccr_pipeline.config.settings import load_settings
from saccr_pipeline.lakehouse.spark import build_spark

as_of, log = dt.date.fromisoformat(sys.argv[1]), sys.argv[2]
planned = re.findall(r"pipeline run id (\S+),", open(log).read())
settings = load_settings()
lake = Lakehouse(settings.lakehouse_root)
conf = job_spark_conf(settings) | {"spark.ui.enabled": "false", "spark.log.level": "ERROR"}
spark = build_spark("saccr-demo", settings, extra_conf=conf)
run = published(spark, lake, as_of)
if not planned or run is None or run.run_id != planned[-1]:
    print(f"the run of {as_of} did not publish: see the task log {log}")  # stderr goes to the log
    sys.exit(1)
key = "gold/saccr_netting_set"
netting_sets = read(spark, lake, key, run.versions[key], as_of).toPandas()
columns = ["netting_set_id", "counterparty_id", "margined", "trade_count", "rc", "pfe", "ead"]
money = {c: "{:,.0f}".format for c in ("rc", "pfe", "ead")}
print(f"\nrun {run.run_id} published {len(netting_sets):,} netting sets for {as_of}; "
      f"total EAD {netting_sets['ead'].sum():,.0f}")
print("largest netting sets by EAD:")
print(netting_sets.nlargest(10, "ead")[columns].to_string(index=False, formatters=money))
print(f"\ntables:     {lake.root}/gold (saccr_*, mart_*), {lake.root}/audit (run_log, dq_results, quarantine)")
docs = sorted(glob.glob(f"{lake.root}/**/{run.run_id}/**/index.html", recursive=True))
print(f"Data Docs:  {docs[0] if docs else '(none written by the validate step for this run)'}")
print(f"task log:   {log}")
print(f"reproduce:  .venv/bin/saccr reproduce {run.run_id}")
spark.stop()
EOF
