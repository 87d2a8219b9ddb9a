#!/usr/bin/env bash
# Fetch the Delta Lake jar set with Maven into jars/delta and verify it against tools/delta-jars/SHA256SUMS.
# A no-op when jars/delta already holds exactly the verified set. Called by `make setup`.
#   scripts/fetch_delta_jars.sh                 fetch if needed, verify
#   scripts/fetch_delta_jars.sh --update-sums   refetch and rewrite SHA256SUMS (after changing the pom)
set -euo pipefail
cd "$(dirname "$0")/.."

POM=tools/delta-jars/pom.xml
SUMS=$PWD/tools/delta-jars/SHA256SUMS
DEST=jars/delta

# verified DIR: DIR holds exactly the jars in SUMS (a stray jar would join Spark's classpath), hashes matching.
verified() {
    [[ -f $SUMS && -d $1 ]] || return 1
    diff -q <(awk '{sub(/^\*/, "", $2); print $2}' "$SUMS" | sort) <(cd "$1" && ls -1 -- *.jar 2>/dev/null | sort) \
        >/dev/null || return 1
    (cd "$1" && sha256sum --quiet --strict -c "$SUMS")
}

update=false
[[ ${1:-} == --update-sums ]] && update=true

if ! $update; then
    if verified "$DEST" >/dev/null 2>&1; then
        echo "Delta jars: $DEST verified against tools/delta-jars/SHA256SUMS"
        exit 0
    fi
    [[ -d $DEST ]] && echo "Delta jars: $DEST differs from tools/delta-jars/SHA256SUMS; fetching it again"
fi

for tool in mvn java sha256sum; do
    command -v "$tool" >/dev/null || { echo "fetch_delta_jars: '$tool' not found; install Java 17 and Maven" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/delta-jars.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "Delta jars: fetching with Maven ($POM) ..."
# Only Delta's own modules, Unity Catalog's client and jackson-datatype-jdk8 (absent from Spark 4.2). Every other
# transitive jar (Scala, Hadoop, Parquet, Jackson, log4j, slf4j, snappy, zstd, ...) Spark already ships.
mvn -q -B -C -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/jars" \
    -DincludeGroupIds=io.delta,io.unitycatalog,com.fasterxml.jackson.datatype

if $update; then
    (cd "$tmp/jars" && sha256sum -- *.jar) >"$SUMS"
    echo "Delta jars: wrote tools/delta-jars/SHA256SUMS"
fi
if ! verified "$tmp/jars"; then
    echo "fetch_delta_jars: fetched jars do not match tools/delta-jars/SHA256SUMS" \
        "(pom changed? rerun with --update-sums and review the diff)" >&2
    exit 1
fi
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$tmp/jars" "$DEST"
echo "Delta jars: $(ls "$DEST" | wc -l) jars in $DEST verified against tools/delta-jars/SHA256SUMS"
