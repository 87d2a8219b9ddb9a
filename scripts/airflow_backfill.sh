#!/usr/bin/env bash
# Backfill or restate saccr_daily over the business dates FROM..TO (both included): one run per date, one date
# at a time in date order, dates that already ran are run again (each replaces its own date only).
#
#   scripts/airflow_backfill.sh 2026-11-16 2026-11-20
#
# A backfill only queues runs: a scheduler must be running (`source scripts/airflow_env.sh; airflow standalone`
# in another terminal) and the DAG must be unpaused (done here). Follow the runs in the UI or with
# `airflow dags list-runs saccr_daily`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ]; then
    echo "usage: $0 FROM_DATE TO_DATE   (YYYY-MM-DD, both included)" >&2
    exit 2
fi
FROM=$1
TO=$2

# shellcheck source=scripts/airflow_env.sh
source scripts/airflow_env.sh

if ! airflow jobs check --job-type SchedulerJob --allow-multiple >/dev/null 2>&1; then
    echo "no scheduler is running for $AIRFLOW_HOME: start 'airflow standalone' (after sourcing" \
        "scripts/airflow_env.sh) in another terminal, then rerun this" >&2
    exit 1
fi

# Logical dates are D 06:00 (Europe/London): the end date needs T23:59:59 to include its own run.
args=(--dag-id saccr_daily --from-date "$FROM" --to-date "${TO}T23:59:59"
      --max-active-runs 1 --reprocess-behavior completed)
airflow dags unpause saccr_daily
echo "==> dry run: the runs this backfill creates"
airflow backfill create "${args[@]}" --dry-run
for attempt in 1 2 3; do  # SQLite may be locked by the scheduler for a moment
    if airflow backfill create "${args[@]}"; then
        echo "backfill of $FROM..$TO queued; follow it with: airflow dags list-runs saccr_daily"
        exit 0
    fi
    echo "backfill create failed (attempt $attempt); retrying in 5 s" >&2
    sleep 5
done
exit 1
