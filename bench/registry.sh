#!/usr/bin/env bash
# Registry figures (issue 3), each with its baseline in the same run:
#  1. import of N residents from CSV (check, then commit) into an empty community, beside
#     the demo generator's bulk insert of the same number (the same rows, no parsing or
#     checking) as the ceiling;
#  2. resident search latency p50/p99 at ~100,000 residents (wrk, rotating queries);
#  3. the residents list page against /healthz.
#
#   bench/registry.sh                         # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1/linli_bench bench/registry.sh   # empty database
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
DURATION=${DURATION:-15}
PORT=${PORT:-18182}
command -v wrk >/dev/null || { echo "wrk is required (Debian package wrk)"; exit 1; }
cargo build --release -q -p linli
BIN=target/release/linli
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER=
KEY=$($BIN generate-key)
if [ -n "${DATABASE_URL:-}" ]; then
  ARGS_A=(--database-url "$DATABASE_URL" --secret-key "$KEY")
else
  ARGS_A=(--data "$WORK/a")
fi

echo "== 1. import $N residents"
python3 bench/gen_residents.py "$N" 40 > "$WORK/residents.csv"
echo "   file: $(wc -l < "$WORK/residents.csv") lines, $(du -h "$WORK/residents.csv" | cut -f1)"
# An empty community (buildings, no households) to import into, and the same number of
# residents through the demo generator (~2.5 per household) as the bulk-insert ceiling.
"$BIN" demo "${ARGS_A[@]}" --households 0 >/dev/null
S=$(date +%s.%N)
"$BIN" import-residents "${ARGS_A[@]}" --community 310117004001 "$WORK/residents.csv" --commit | sed 's/^/   /'
E=$(date +%s.%N)
awk -v s="$S" -v e="$E" -v n="$N" 'BEGIN { printf "   whole command (start, check, commit): %.2f s, %.0f rows/s\n", e - s, n / (e - s) }'
if [ -z "${DATABASE_URL:-}" ]; then
  "$BIN" demo --data "$WORK/b" --households $((N * 2 / 5)) | sed 's/^/   baseline, demo generator: /'
fi

echo "== 2./3. search and list at ~$N residents"
"$BIN" serve "${ARGS_A[@]}" --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
JAR="$WORK/jar"
CSRF=$(curl -s -c "$JAR" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "_csrf=$CSRF" --data-urlencode "login=shequ" \
  --data-urlencode "password=linli2026" "http://127.0.0.1:$PORT/login"
COOKIE="linli_session=$(awk '$6 == "linli_session" { print $7 }' "$JAR")"
cat > "$WORK/search.lua" <<'LUA'
local queries = { "%E7%8E%8B", "zw", "lq", "1234", "5678", "3%E5%8F%B7%E6%A5%BC1011", "%E5%BC%A0%E4%BC%9F", "cx", "0000", "12-2012" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/communities/1/residents?limit=20&q=" .. queries[(i % #queries) + 1])
end
LUA
run() { # name, extra wrk args..., url
  local name=$1; shift
  local out; out=$(wrk -t2 --latency "$@")
  printf '   %-34s %9s req/s  p50 %8s  p99 %8s\n' "$name" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" >&2
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
H=$(run "/healthz" -c32 -d"${DURATION}s" "http://127.0.0.1:$PORT/healthz")
run "search (10 queries, 8 connections)" -c8 -d"${DURATION}s" -s "$WORK/search.lua" -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT" >/dev/null
L=$(run "/communities/1/residents page" -c32 -d"${DURATION}s" -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/communities/1/residents")
awk -v h="$H" -v l="$L" 'BEGIN { printf "   ratio residents page / healthz: %.3f\n", l / h }'
