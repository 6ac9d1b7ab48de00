#!/usr/bin/env bash
# Case handling figures (issue 4), each beside a baseline measured in the same run:
#
#  1. Durable report intake: reports/s and p99 for POST /api/v1/communities/1/cases
#     (committed before the answer), beside a raw insert loop writing the same two rows
#     (case + timeline event) per transaction with the same durability, on the same
#     database: Python's sqlite3 with WAL and synchronous=NORMAL as Linli uses, or
#     pgbench against PostgreSQL. Ratio = Linli / raw.
#  2. The indicator query over 1,000,000 cases in 100 communities (no precomputed tables).
#  3. The case list page as a ratio to /healthz.
#
#   bench/cases.sh                                                     # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench bench/cases.sh    # PostgreSQL (empty database)
set -euo pipefail
cd "$(dirname "$0")/.."

COMMUNITIES=${COMMUNITIES:-100}
HOUSEHOLDS=${HOUSEHOLDS:-300}
CASES=${CASES:-10000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-18182}
command -v wrk >/dev/null || { echo "wrk is required (Debian package wrk)"; exit 1; }

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p linli
BIN=target/release/linli
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER=

DB_ARGS=(--data "$WORK/data")
if [ -n "${DATABASE_URL:-}" ]; then
  DB_ARGS=(--database-url "$DATABASE_URL" --secret-key "$($BIN generate-key)")
fi

echo "== $COMMUNITIES communities x $HOUSEHOLDS households, then $CASES cases each (machine: $(nproc) cores)"
"$BIN" demo "${DB_ARGS[@]}" --communities "$COMMUNITIES" --households "$HOUSEHOLDS" | tail -1
"$BIN" bulk-cases "${DB_ARGS[@]}" --per-community "$CASES" --days 365

echo "== indicator query over all communities, grouped by community"
"$BIN" time-indicators "${DB_ARGS[@]}" --repeat 5

# The notification worker is off: bulk data carries an artificial backlog of overdue cases.
"$BIN" serve "${DB_ARGS[@]}" --no-worker --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

JAR="$WORK/jar"
CSRF=$(curl -s -c "$JAR" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "_csrf=$CSRF" --data-urlencode "login=shequ" \
  --data-urlencode "password=linli2026" "http://127.0.0.1:$PORT/login"
SESSION=$(awk '$6 == "linli_session" { print $7 }' "$JAR")
CSRF=$(curl -s -H "Cookie: linli_session=$SESSION" "http://127.0.0.1:$PORT/account" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
[ -n "$SESSION" ] && [ -n "$CSRF" ] || { echo "login failed"; cat "$WORK/server.log"; exit 1; }

wrk_run() { # name args... -> prints "rps p99"
  local name=$1; shift
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "!! $name: non-2xx responses"; grep Non-2xx <<<"$out"; tail -5 "$WORK/server.log"; exit 1; fi
  local rps p99
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  printf '%-34s %10s req/s   p99 %8s\n' "$name" "$rps" "$p99" >&2
  echo "$rps"
}

echo "== pages: ${DURATION}s each, $CONNECTIONS connections"
H=$(wrk_run "/healthz" "http://127.0.0.1:$PORT/healthz")
L=$(wrk_run "/communities/1/cases (staff)" -H "Cookie: linli_session=$SESSION" "http://127.0.0.1:$PORT/communities/1/cases")
awk -v h="$H" -v l="$L" 'BEGIN { printf "ratio case list / healthz: %.3f\n", l / h }'

cat >"$WORK/report.lua" <<LUA
local counter = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
request = function()
  counter = counter + 1
  local body = '{"category_id":4,"description":"2单元楼道堆放杂物 ' .. counter .. '","building_id":1}'
  return wrk.format("POST", "/api/v1/communities/1/cases", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "linli_session=$SESSION",
    ["X-CSRF-Token"] = "$CSRF",
    ["Idempotency-Key"] = "bench-" .. tid .. "-" .. counter,
  }, body)
end
LUA
echo "== intake: POST reports, ${DURATION}s, $CONNECTIONS connections"
R=$(wrk_run "POST /api/v1/communities/1/cases" -s "$WORK/report.lua" "http://127.0.0.1:$PORT/")
kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=

echo "== raw insert loop, same durability, same database, ${DURATION}s"
if [ -n "${DATABASE_URL:-}" ]; then
  cat >"$WORK/raw.sql" <<'SQL'
\set n random(1, 2000000000)
BEGIN;
INSERT INTO cases (community_id, grid_id, category_id, source, description, building_id, state, level, reported_at, idempotency_key)
  VALUES (1, 1, 4, 'resident', 'raw insert', 1, 'reported', 'grid', 0, 'raw-' || :client_id || '-' || :n) RETURNING id \gset
INSERT INTO case_events (case_id, at, kind, from_state, to_state, note) VALUES (:id, 0, 'report', 'reported', 'reported', '');
END;
SQL
  RAW=$(pgbench -n -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$WORK/raw.sql" "$DATABASE_URL" 2>/dev/null \
        | awk '/^tps/ { print $3 }')
  printf '%-34s %10s tx/s (pgbench, %s clients)\n' "raw INSERT case + event" "$RAW" "$CONNECTIONS" >&2
else
  RAW=$(python3 - "$WORK/data/linli.db" "$DURATION" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
end = time.time() + float(sys.argv[2]); n = 0; lat = []
while time.time() < end:
    t = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    cur = db.execute("INSERT INTO cases (community_id, grid_id, category_id, source, description, building_id, state, level, "
                     "reported_at, idempotency_key) VALUES (1, 1, 4, 'resident', 'raw insert', 1, 'reported', 'grid', 0, ?)", (f"raw-{n}",))
    db.execute("INSERT INTO case_events (case_id, at, kind, from_state, to_state, note) VALUES (?, 0, 'report', 'reported', 'reported', '')", (cur.lastrowid,))
    db.execute("COMMIT")
    n += 1; lat.append(time.perf_counter() - t)
lat.sort()
print(f"{n / float(sys.argv[2]):.0f}")
print(f"raw insert p99 {lat[int(len(lat) * 0.99)] * 1000:.2f} ms", file=sys.stderr)
PY
)
  printf '%-34s %10s tx/s (one writer, WAL, synchronous=NORMAL)\n' "raw INSERT case + event" "$RAW" >&2
fi
awk -v r="$R" -v raw="$RAW" 'BEGIN { printf "ratio intake / raw insert: %.3f\n", r / raw }'
