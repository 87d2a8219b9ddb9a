#!/usr/bin/env bash
# The main job end to end on sample data: generate extracts for one as-of date, then compute SA-CCR on them.
# Run by `make demo` (after `make setup`). Outputs land in the ignored landing/ and output/ folders.
set -euo pipefail
cd "$(dirname "$0")/.."

AS_OF=${AS_OF:-2026-11-20}
LANDING=landing/$AS_OF
OUT=output/$AS_OF
SACCR=.venv/bin/saccr

step() {
    echo "==> $*"
    local start=$SECONDS
    "$@"
    echo "    done in $((SECONDS - start)) s"
}

step "$SACCR" generate --as-of "$AS_OF" --trades 20000 --netting-sets 400 --seed 7 --out "$LANDING"
step "$SACCR" compute --as-of "$AS_OF" \
    --trades "$LANDING/trades.csv" --valuations "$LANDING/valuations.csv" \
    --collateral "$LANDING/collateral.csv" --market-data "$LANDING/market_data.csv" \
    --out "$OUT"
echo "Demo finished: extracts in $LANDING, results in $OUT"
