#!/usr/bin/env bash
# Page throughput against /healthz, measured in the same run.
#
# Builds release, generates a city-sized data set (default 100 communities of 3,000
# households, ~750,000 residents), starts `linli serve`, signs in as the demo grid
# worker and the director, and runs wrk against their home pages and /healthz.
# Prints requests/s, p99 latency and the page/healthz ratio.
#
#   bench/pages.sh                      # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench bench/pages.sh   # PostgreSQL (must be empty)
#   COMMUNITIES=10 HOUSEHOLDS=2000 DURATION=10 bench/pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."

COMMUNITIES=${COMMUNITIES:-100}
HOUSEHOLDS=${HOUSEHOLDS:-3000}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18181}
command -v wrk >/dev/null || { echo "wrk is required (Debian package wrk)"; exit 1; }

cargo build --release -q -p linli
BIN=target/release/linli
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

DB_ARGS=(--data "$WORK/data")
if [ -n "${DATABASE_URL:-}" ]; then
  DB_ARGS=(--database-url "$DATABASE_URL" --secret-key "$($BIN generate-key)")
fi

echo "== generating $COMMUNITIES communities x $HOUSEHOLDS households"
/usr/bin/time -f "   generation: %e s, max RSS %M KB" "$BIN" demo "${DB_ARGS[@]}" --communities "$COMMUNITIES" --households "$HOUSEHOLDS"

"$BIN" serve "${DB_ARGS[@]}" --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

session() { # login -> session cookie value
  local jar="$WORK/jar-$1"
  local csrf
  csrf=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$csrf" --data-urlencode "login=$1" \
    --data-urlencode "password=linli2026" "http://127.0.0.1:$PORT/login"
  awk '$6 == "linli_session" { print $7 }' "$jar"
}

run() { # name url [cookie] -> prints "name rps p99"
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Cookie: linli_session=$3" "$2")
  else
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2")
  fi
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  non2xx=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
  if [ -n "$non2xx" ]; then echo "!! $1: $non2xx non-2xx responses"; exit 1; fi
  printf '%-28s %10s req/s   p99 %8s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}

WORKER=$(session wangge1)
DIRECTOR=$(session shuji)
[ -n "$WORKER" ] && [ -n "$DIRECTOR" ] || { echo "login failed"; cat "$WORK/server.log"; exit 1; }

COLD=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: linli_session=$DIRECTOR" "http://127.0.0.1:$PORT/")
WARM=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: linli_session=$DIRECTOR" "http://127.0.0.1:$PORT/")
awk -v c="$COLD" -v w="$WARM" 'BEGIN { printf "first director home after start (grid counts computed): %.1f ms; second: %.1f ms\n", c * 1000, w * 1000 }'

echo "== wrk: ${DURATION}s each, $CONNECTIONS connections, 2 threads (machine: $(nproc) cores)"
H=$(run "/healthz" "http://127.0.0.1:$PORT/healthz")
W=$(run "/ as grid worker" "http://127.0.0.1:$PORT/" "$WORKER")
D=$(run "/ as community director" "http://127.0.0.1:$PORT/" "$DIRECTOR")
G=$(run "/grids/1 as grid worker" "http://127.0.0.1:$PORT/grids/1" "$WORKER")
awk -v h="$H" -v w="$W" -v d="$D" -v g="$G" 'BEGIN {
  printf "ratio grid-worker home / healthz: %.3f\n", w / h
  printf "ratio director home / healthz:    %.3f\n", d / h
  printf "ratio grid page / healthz:        %.3f\n", g / h
}'
