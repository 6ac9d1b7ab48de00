#!/usr/bin/env bash
# Co-governance figures (issue 16), each beside a baseline measured in the same run:
#
#  1. 2,000 residents of a community support one proposal at once through the store call
#     the support button makes (Store::support_proposal: open check, one row per resident,
#     the count and the move to triage in one transaction), then every one of them sends
#     the same support again at once. The run fails unless the count equals the rows and
#     the supporters, triage is reached once and every repeat is refused. Baseline: the
#     same number of one-row transactions into a plain table, same concurrency.
#  2. An announcement to the buildings holding about 5,000 adult residents, then one to the
#     whole community (about 50,000): the time until every receipt, inbox row and outbox
#     row is written, beside an INSERT … SELECT of as many bare rows into three tables.
#  3. The read-receipt page's queries at ~50,000 receipts, 200 times: p50 and p99, beside a
#     plain COUNT(*) of the same receipts.
#  4. A 20-question anonymous survey to the same community, answered by 10,000 residents
#     (16 at once; answers/s printed), then the results page's queries 50 times for the
#     whole community and for one grid: p50 and p99, beside a plain scan of every stored
#     answer of the survey.
#
#   bench/cogovernance.sh                                                     # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench bench/cogovernance.sh    # PostgreSQL (emptied first)
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-1000}
BIG_HOUSEHOLDS=${BIG_HOUSEHOLDS:-25000}
RESIDENTS=${RESIDENTS:-2000}
CONCURRENCY=${CONCURRENCY:-2000}

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p linli
BIN=${BIN:-target/release/linli}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
fresh() {
  if [ -n "${DATABASE_URL:-}" ]; then
    psql -q "$DATABASE_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
    DB_ARGS=(--database-url "$DATABASE_URL" --secret-key "$($BIN generate-key)")
    echo "== PostgreSQL, $1 households"
  else
    rm -rf "$WORK/data"
    DB_ARGS=(--data "$WORK/data")
    echo "== SQLite, $1 households"
  fi
  "$BIN" demo "${DB_ARGS[@]}" --households "$1" | tail -1
}
fresh "$HOUSEHOLDS"
"$BIN" bench-supports "${DB_ARGS[@]}" --residents "$RESIDENTS" --concurrency "$CONCURRENCY"
fresh "$BIG_HOUSEHOLDS"
"$BIN" bench-announcement "${DB_ARGS[@]}" --first 5000 --rounds 200
"$BIN" bench-survey "${DB_ARGS[@]}" --answers "${ANSWERS:-10000}" --rounds 50
