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
"""Show what the run published for the date, or why it did not (delta-rs: no Spark needed to read it)."""
import datetime as dt
import re
import sys

from saccr_pipeline.config.settings import load_settings
from saccr_pipeline.lakehouse.run_log import RunLog
from saccr_pipeline.lakehouse.tables import Lakehouse, delta_log
from saccr_pipeline.report.page import report_dir
from saccr_pipeline.steps.summarise import format_largest, largest_netting_sets

as_of, log = dt.date.fromisoformat(sys.argv[1]), sys.argv[2]
planned = re.findall(r"pipeline run id (\S+),", open(log).read())
lake = Lakehouse(load_settings().lakehouse_root)
run = RunLog(lake).published(as_of)
if not planned or run is None or run.run_id != planned[-1]:
    print(f"the run of {as_of} did not publish: see the task log {log}")  # stderr goes to the log
    sys.exit(1)
key = "gold/saccr_netting_set"
netting_sets = delta_log(lake, key, run.versions[key]).to_pandas(
    columns=["ead"], filters=[("as_of_date", "=", as_of), ("run_id", "=", run.run_id)]
)
print(f"\nrun {run.run_id} published {len(netting_sets):,} netting sets for {as_of}; "
      f"total EAD {netting_sets['ead'].sum():,.0f}")
print("largest netting sets by EAD:")
print(format_largest(largest_netting_sets(lake, as_of)))
print(f"\ntables:     {lake.root}/gold (saccr_*, mart_*), {lake.root}/audit (run_log, dq_results, quarantine)")
print(f"run report: {report_dir(lake, as_of, run.run_id)}/index.html (all runs: {lake.root}/reports/index.html)")
print(f"Data Docs:  {lake.data_docs}/{as_of}/{run.run_id}/index.html")
print(f"task log:   {log}")
print(f"reproduce:  .venv/bin/saccr reproduce {run.run_id}")
EOF
