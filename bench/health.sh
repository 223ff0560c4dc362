#!/usr/bin/env bash
# Health checks at city scale: one day's temperatures for everyone through the API in batches, as a
# ratio against bare multi-row inserts of the same rows in the same run; and the p99 of the
# "not checked today" and "follow-ups due" lists for a grid worker and a community leader, as
# ratios against /healthz of the same server (measured first and last).
#
#   bench/health.sh                      # SQLite, 500,000 households (about 1.2 million residents)
#   BACKEND=postgres bench/health.sh
#   HOUSEHOLDS=50000 DURATION=5 bench/health.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-500000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
BACKEND=${BACKEND:-sqlite}
PORT=${PORT:-18182}
PW=shouhu-demo-2020
NEWPW=bench-recorder-password-2020

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
cargo build --release --quiet
cargo build --release --quiet --example health_bench
BIN=target/release/shouhu
EX=target/release/examples/health_bench
URL="http://127.0.0.1:$PORT"

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_health_bench_$$"
  psql postgres://postgres@127.0.0.1:5432/postgres -qc "create database $PGDB" >/dev/null
  DB="postgres://postgres@127.0.0.1:5432/$PGDB"
else
  DB="sqlite://$WORK/bench.db"
fi
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$PGDB" ] && psql postgres://postgres@127.0.0.1:5432/postgres -qc "drop database if exists $PGDB" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "== seeding $HOUSEHOLDS households on $BACKEND"
"$BIN" demo --database "$DB" --households "$HOUSEHOLDS" --seed-only 2>"$WORK/seed.log"
grep -E "^seeded" "$WORK/seed.log" || true
"$EX" setup "$DB" | sed 's/^/home isolation (test data): /'
# One recorder for the whole city: a leader's rights over the city's unit.
OTP=$("$BIN" user add --database "$DB" --username bench-recorder --display-name 测温录入 --role community_leader --unit 650200 | sed -n 's/.*one-time password: //p')

echo "== baseline: bare multi-row inserts"
RESIDENTS=$(grep -oE 'and [0-9]+ residents' "$WORK/seed.log" | grep -oE '[0-9]+')
BARE=$("$EX" bare "$DB" "$RESIDENTS")
BARE_S=$(echo "$BARE" | field seconds)

"$BIN" demo --database "$DB" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.5; done
token() { curl -s -X POST -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" "$URL/api/v1/session" | jq -r .token; }
REC=$(token bench-recorder "$OTP")
curl -sf -X POST -H "authorization: Bearer $REC" -H 'content-type: application/json' \
  -d "{\"current_password\":\"$OTP\",\"new_password\":\"$NEWPW\"}" "$URL/api/v1/session/password" >/dev/null
REC=$(token bench-recorder "$NEWPW")
GRID=$(token nanquan-grid1 "$PW")
LEADER=$(token nanquan-leader "$PW")

run() { # NAME TOKEN PATH -> "NAME rps p99_ms"
  local out rps p99
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $2" "$URL$3")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1: non-2xx answers: $out" >&2; exit 1; fi
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v=v*1000 } print v }')
  echo "$1 $rps $p99"
}

echo "== one day's checks through the API: first half"
A=$("$EX" load "$URL" "$REC" "$DB" 0)
echo "== lists at mid-day (half the city checked), wrk $CONNECTIONS connections, ${DURATION}s each"
results=()
results+=("$(run bare/healthz "$GRID" /healthz)")
results+=("$(run not-checked/grid "$GRID" '/api/v1/health-checks/not-checked?per_page=20')")
results+=("$(run not-checked/community "$LEADER" '/api/v1/health-checks/not-checked?per_page=20')")
results+=("$(run follow-ups-due/grid "$GRID" '/api/v1/follow-ups/due?per_page=20')")
results+=("$(run follow-ups-due/community "$LEADER" '/api/v1/follow-ups/due?per_page=20')")
results+=("$(run bare/healthz-again "$GRID" /healthz)")
echo "== second half"
B=$("$EX" load "$URL" "$REC" "$DB" 1)

A_S=$(echo "$A" | field seconds); A_N=$(echo "$A" | field rows)
B_S=$(echo "$B" | field seconds); B_N=$(echo "$B" | field rows)
awk -v an="$A_N" -v as="$A_S" -v bn="$B_N" -v bs="$B_S" -v n="$RESIDENTS" -v bare="$BARE_S" 'BEGIN {
  api = (an + bn) / (as + bs); base = n / bare
  printf "\nchecks through the API: %d rows in %.1f s = %.0f rows/s\n", an + bn, as + bs, api
  printf "bare multi-row insert:  %d rows in %.1f s = %.0f rows/s\n", n, bare, base
  printf "ratio API / bare: %.2f\n\n", api / base
}'
last=$((${#results[@]} - 1))
base_rps=$(printf '%s\n%s\n' "${results[0]}" "${results[$last]}" | awk '{s += $2} END {print s / 2}')
base_p99=$(printf '%s\n%s\n' "${results[0]}" "${results[$last]}" | awk '{s += $3} END {print s / 2}')
printf '%-26s %10s %10s %10s %10s\n' endpoint req/s p99_ms rps/bare p99/bare
for r in "${results[@]}"; do
  echo "$r" | awk -v br="$base_rps" -v bp="$base_p99" '{ printf "%-26s %10.0f %10.2f %10.3f %10.2f\n", $1, $2, $3, $2 / br, $3 / bp }'
done
echo "backend $BACKEND, $HOUSEHOLDS households, $RESIDENTS residents"
