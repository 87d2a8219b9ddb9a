#!/usr/bin/env bash
# Airflow for this checkout: SQLite metadata in the ignored <repo>/.airflow, the DAGs of <repo>/dags, the
# `spark_saccr` connection, and the venv's spark-submit on PATH.
#
#   source scripts/airflow_env.sh        # then: airflow dags list, airflow dags test ..., airflow standalone
#   scripts/airflow_env.sh airflow dags list-import-errors   # or run one command in that environment
#
# Every value can be set before sourcing (an existing AIRFLOW_HOME, a Postgres SQL_ALCHEMY_CONN, a Spark
# connection to a cluster); only what is unset gets the embedded default. The metadata database is migrated
# the first time (and again after an Airflow upgrade or a change of database).

_saccr_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

export AIRFLOW_HOME=${AIRFLOW_HOME:-$_saccr_repo/.airflow}
export AIRFLOW__CORE__DAGS_FOLDER=${AIRFLOW__CORE__DAGS_FOLDER:-$_saccr_repo/dags}
export AIRFLOW__CORE__LOAD_EXAMPLES=${AIRFLOW__CORE__LOAD_EXAMPLES:-False}
# The UI and REST API of `airflow standalone` / `airflow api-server`: this machine only.
export AIRFLOW__API__HOST=${AIRFLOW__API__HOST:-127.0.0.1}
export AIRFLOW__API__PORT=${AIRFLOW__API__PORT:-8080}
# Where every Spark step is submitted. A cluster is a different connection, nothing else:
#   spark://host:7077   yarn (+ "extra": {"deploy-mode": "cluster", "queue": ...})   k8s://https://api:6443
export AIRFLOW_CONN_SPARK_SACCR=${AIRFLOW_CONN_SPARK_SACCR:-'{"conn_type": "spark", "host": "local[*]"}'}
export PATH="$_saccr_repo/.venv/bin:$PATH"  # airflow, spark-submit and the project's python
export PYSPARK_PYTHON=${PYSPARK_PYTHON:-$_saccr_repo/.venv/bin/python}
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}

_saccr_airflow_setup() {
    local version marker
    version=$(airflow version 2>/dev/null | tail -n 1) || {
        echo "airflow_env: airflow is not installed in $_saccr_repo/.venv; run make setup" >&2
        return 1
    }
    # once per Airflow version and metadata database (switching to Postgres migrates that one)
    marker="$AIRFLOW_HOME/.migrated-$version-$(printf %s "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite}" | cksum | cut -d' ' -f1)"
    mkdir -p "$AIRFLOW_HOME"
    if [ ! -f "$marker" ]; then
        echo "airflow_env: migrating the metadata database in $AIRFLOW_HOME (Airflow $version)" >&2
        airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
            echo "airflow_env: airflow db migrate failed; see $AIRFLOW_HOME/db-migrate.log" >&2
            return 1
        }
        touch "$marker"
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # executed: set up, then run the given command in this environment
    set -euo pipefail
    _saccr_airflow_setup
    if [ $# -gt 0 ]; then exec "$@"; fi
else
    _saccr_airflow_setup
fi
