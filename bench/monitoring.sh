#!/usr/bin/env bash
# Remote-monitoring figures (issue 5), each beside a baseline measured in the same run:
#
#  1. Ceiling: Mosquitto's own publish-to-subscribe throughput. `linli simulate-devices`
#     publishes N telemetry messages at QoS 1 as fast as the broker acknowledges them and
#     `mosquitto_sub -q 1` receives them; messages/s from the first publish to the last
#     received.
#  2. Linli end to end: the same publisher, the same N messages, to `linli serve
#     --mqtt-url`; messages/s from the first publish until /metrics counts all N stored
#     (stored = in the database, rules evaluated, alarms written, acknowledged after commit).
#     Ratio = Linli / ceiling.
#  3. Publish-to-case latency, p50 and p99: 1 % of the messages carry a fault (smoke, leak,
#     lift fault…); for every alarm that opened its own case, the case's reported_at minus
#     the message's ts (stamped at publishing, same clock).
#  4. Drops: Mosquitto's own counter ($SYS/broker/publish/messages/dropped) and Linli's
#     counts of everything not stored.
#
# The broker is a Mosquitto of this script's own, with the settings docs/operations.md
# asks for (max_queued_messages 100000, persistence off here: nothing is restarted).
#
#   bench/monitoring.sh                                                  # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1/bench bench/monitoring.sh # PostgreSQL (empty database)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-50000}
RATE=${RATE:-1000000}
PORT=${PORT:-18183}
MQTT_PORT=${MQTT_PORT:-18830}
command -v mosquitto_sub >/dev/null || { echo "mosquitto_sub is required (Debian package mosquitto-clients)"; exit 1; }
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p linli
BIN=target/release/linli
WORK=$(mktemp -d)
chmod 777 "$WORK"
SERVER=
BROKER=
trap 'kill $SERVER $BROKER 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

cat >"$WORK/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
max_inflight_messages 100
sys_interval 1
log_dest none
EOF
"$MOSQUITTO" -c "$WORK/mosquitto.conf" &
BROKER=$!
sleep 0.5
URL="mqtt://127.0.0.1:$MQTT_PORT"

DB_ARGS=(--data "$WORK/data")
if [ -n "${DATABASE_URL:-}" ]; then
  DB_ARGS=(--database-url "$DATABASE_URL" --secret-key "$($BIN generate-key)")
fi
"$BIN" demo "${DB_ARGS[@]}" | tail -1
now_ms() { date +%s%3N; }

echo "work: $WORK"; echo "== machine: $(nproc) cores; $N messages at QoS 1 from one publisher"
echo "== 1. ceiling: mosquitto_sub receives what the simulator publishes"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t 'linli/+/+/telemetry' -C "$N" >/dev/null &
SUB=$!
sleep 0.3
T0=$(now_ms)
"$BIN" simulate-devices "${DB_ARGS[@]}" --mqtt-url "$URL" --count 1000 --rate "$RATE" --total "$N" --faults 0 >/dev/null
wait $SUB
T1=$(now_ms)
CEILING=$(python3 -c "print(round($N * 1000 / ($T1 - $T0)))")
echo "ceiling: $CEILING msg/s ($((T1 - T0)) ms)"

echo "== 2. Linli: stored and evaluated"
"$BIN" serve "${DB_ARGS[@]}" --no-worker --addr "127.0.0.1:$PORT" --mqtt-url "$URL" --mqtt-client-id bench >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
stored() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^linli_device_messages_total\{transport="mqtt",outcome="(stored|duplicate)"\}/ {s += $2} END {print s + 0}'; }
dropped() { mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t '$SYS/broker/publish/messages/dropped' -C 1 -W 5 2>/dev/null || echo 0; }
# Runs the simulator with "$@" and waits until Linli has counted all it published.
# Sets ELAPSED (ms, first publish to last stored) and PUBLISHED.
drive() {
  local before t0 out
  before=$(stored)
  t0=$(now_ms)
  T_START=$t0
  out=$("$BIN" simulate-devices "${DB_ARGS[@]}" --mqtt-url "$URL" --count 1000 "$@" | tail -1)
  echo "  $out"
  PUBLISHED=$(echo "$out" | sed -n 's/^published \([0-9]*\) messages.*/\1/p')
  for _ in $(seq 1 12000); do
    [ "$(stored)" -ge $((before + PUBLISHED)) ] && break
    sleep 0.05
  done
  ELAPSED=$(($(now_ms) - t0))
}
latency() {
  local sql="SELECT c.reported_at - a.raised_at FROM alarms a JOIN cases c ON c.id = a.case_id \
     WHERE c.idempotency_key = 'alarm:' || a.id AND a.raised_at >= $1 ORDER BY 1"
  if [ -n "${DATABASE_URL:-}" ]; then
    psql "$DATABASE_URL" -Atc "$sql" >"$WORK/lat"
  else
    python3 -c "import sqlite3; [print(r[0]) for r in sqlite3.connect('$WORK/data/linli.db').execute(\"$sql\")]" >"$WORK/lat"
  fi
  python3 - "$WORK/lat" <<'PY'
import sys
xs = sorted(int(l) for l in open(sys.argv[1]) if l.strip())
if not xs:
    print("  no alarm cases")
else:
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]
    print(f"  cases: {len(xs)}; publish-to-case p50 {q(0.5)} ms, p99 {q(0.99)} ms, max {xs[-1]} ms")
PY
}
sleep 1
D0=$(dropped)

echo "== 2a. publish-to-case latency at a steady ${STEADY:-500} msg/s for 20 s, 1 % faults"
drive --rate "${STEADY:-500}" --seconds 20 --faults 0.01
latency "$T_START"

echo "== 2b. throughput: $N messages as fast as the broker takes them, 1 % faults"
drive --rate "$RATE" --total "$N" --faults 0.01
LINLI=$(python3 -c "print(round($N * 1000 / $ELAPSED))")
echo "linli: $LINLI msg/s ($ELAPSED ms for $PUBLISHED messages)"
python3 -c "print('ratio linli/ceiling: %.3f' % ($LINLI / $CEILING))"
echo "  latency of the cases opened during the burst (queued behind it):"
latency "$T_START"

echo "== 3. drops"
sleep 1.5
echo "mosquitto \$SYS/broker/publish/messages/dropped during the ceiling run: $D0; during Linli's runs: $(( $(dropped) - D0 ))"
echo "linli, not stored:"
curl -s "http://127.0.0.1:$PORT/metrics" | grep '^linli_device_messages_total' | grep -v 'outcome="stored"' || echo "  (none)"
