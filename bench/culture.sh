#!/usr/bin/env bash
# Services and community culture figures (issue 17), each beside a baseline measured in the
# same run:
#
#  1. 2,000 residents of a community register at once (64 at a time) for one activity of
#     100 places through the store call the register button makes (Store::register: the
#     activity's row lock, places counted, the line numbered, a check-in code, one
#     transaction). The run fails unless exactly 100 hold a place, taken by the first 100
#     lines, the other 1,900 wait in arrival order each told its place, and the codes are
#     distinct. Baseline: the same number of one-row transactions into a plain table, same
#     concurrency.
#  2. 1,000 redemptions in the points shop at once (100 residents × 10 tries, 64 at a time)
#     against balances that allow 5 each (Store::redeem: the balance's guarded update, the
#     stock's, the redemption and its ledger entry, one transaction). The run fails unless
#     exactly 500 succeed and 500 are refused for the balance, every balance ends at zero,
#     the ledger's sums equal the balances, and the stock fell by 500. Baseline as above.
#
#   bench/culture.sh                                                     # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench bench/culture.sh    # PostgreSQL (emptied first)
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-1000}
RESIDENTS=${RESIDENTS:-2000}
CAPACITY=${CAPACITY:-100}
CONCURRENCY=${CONCURRENCY:-64}

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p linli
BIN=${BIN:-target/release/linli}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
if [ -n "${DATABASE_URL:-}" ]; then
  psql -q "$DATABASE_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
  DB_ARGS=(--database-url "$DATABASE_URL" --secret-key "$($BIN generate-key)")
  echo "== PostgreSQL, $HOUSEHOLDS households"
else
  DB_ARGS=(--data "$WORK/data")
  echo "== SQLite, $HOUSEHOLDS households"
fi
"$BIN" demo "${DB_ARGS[@]}" --households "$HOUSEHOLDS" | tail -1
"$BIN" bench-registrations "${DB_ARGS[@]}" --residents "$RESIDENTS" --capacity "$CAPACITY" --concurrency "$CONCURRENCY"
"$BIN" bench-redemptions "${DB_ARGS[@]}" --residents 100 --allowed 5 --tries 10 --concurrency "$CONCURRENCY"
