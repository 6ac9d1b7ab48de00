#!/usr/bin/env bash
# Owners' assembly figures (issue 15), each beside a baseline measured in the same run:
#
#  1. Every owner of a community casts a ballot at once, 32 at a time, through the store
#     call the ballot page makes (Store::cast_ballot: roll check, one-ballot rule, hash-chain
#     link, ballot row, one transaction): ballots/s, p50 and p99, beside one-row
#     transactions into a plain table with the same concurrency on the same database.
#     Afterwards the tally must equal an independent GROUP BY count (the run fails if not).
#  2. 64 concurrent submissions of one owner's ballot, 100 times: exactly one stored each
#     time (the run fails if not).
#  3. The tally's latency beside SELECT count(*) over the same ballots.
#
# Sizes: about 5,000 owners, then about 20,000 (one unit per household, minus the units a
# buyer of several holds and the developer's unsold ones).
#
#   bench/assembly.sh                                                     # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench bench/assembly.sh    # PostgreSQL (emptied first)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"5200 20800"}
CONCURRENCY=${CONCURRENCY:-32}
ROUNDS=${ROUNDS:-100}

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p linli
BIN=${BIN:-target/release/linli}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for households in $SIZES; do
  if [ -n "${DATABASE_URL:-}" ]; then
    psql -q "$DATABASE_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
    DB_ARGS=(--database-url "$DATABASE_URL" --secret-key "$($BIN generate-key)")
    echo "== PostgreSQL, $households households"
  else
    rm -rf "$WORK/data"
    DB_ARGS=(--data "$WORK/data")
    echo "== SQLite, $households households"
  fi
  "$BIN" demo "${DB_ARGS[@]}" --households "$households" | tail -1
  "$BIN" bench-ballots "${DB_ARGS[@]}" --concurrency "$CONCURRENCY" --rounds "$ROUNDS"
done
