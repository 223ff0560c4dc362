#!/usr/bin/env bash
# Benchmark of the foundation at city scale. Prints figures as ratios against a baseline measured in
# the same run, because the machine is shared and absolute times drift.
#
#   bench/run.sh                         # SQLite, 500,000 households (about 1.2 million residents)
#   BACKEND=postgres bench/run.sh        # the same on the local PostgreSQL server
#   HOUSEHOLDS=50000 DURATION=5 bench/run.sh
#
# It measures: the seeding rate; the residents list and search through the API and the page under
# wrk (64 connections, loopback) — throughput and p99 against /healthz, a bare endpoint of the same
# server that does one database round trip; and the server's resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-500000}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-64}
BACKEND=${BACKEND:-sqlite}
PORT=${PORT:-18181}
PW=shouhu-demo-2020

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
cargo build --release --quiet
BIN=target/release/shouhu

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_bench_$$"
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

echo "== seeding $HOUSEHOLDS households on $BACKEND"
start=$(date +%s.%N)
"$BIN" demo --database "$DB" --households "$HOUSEHOLDS" --seed-only 2>"$WORK/seed.log"
end=$(date +%s.%N)
grep -E "^seeded" "$WORK/seed.log" || cat "$WORK/seed.log"
residents=$(grep -oE 'and [0-9]+ residents' "$WORK/seed.log" | grep -oE '[0-9]+')
awk -v r="$residents" -v s="$start" -v e="$end" 'BEGIN { printf "seeding: %d residents in %.1f s (with migration and start-up) = %.0f residents/s\n", r, e - s, r / (e - s) }'

"$BIN" demo --database "$DB" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done

token() { curl -s -X POST -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$PW\"}" "http://127.0.0.1:$PORT/api/v1/session" | jq -r .token; }
LEADER=$(token nanquan-leader)
GRID=$(token nanquan-grid1)
STREET=$(token kunlun-street)

# run NAME TOKEN PATH [cookie]: prints "NAME req/s p99_ms"
run() {
  local name=$1 tok=$2 path=$3 how=${4:-bearer} header
  if [ "$how" = cookie ]; then header="Cookie: shouhu_session=$tok"; else header="Authorization: Bearer $tok"; fi
  local out
  # A short warm-up first, not counted: every endpoint is measured in its steady state (each pool
  # connection has prepared the statement, the session cache holds the caller), not the first
  # one measured paying for all the others.
  wrk -t2 -c"$CONNECTIONS" -d2s -H "$header" "http://127.0.0.1:$PORT$path" >/dev/null
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$header" "http://127.0.0.1:$PORT$path")
  if echo "$out" | grep -q "Non-2xx"; then echo "$name: non-2xx answers: $out" >&2; exit 1; fi
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v=v*1000 } print v }')
  echo "$name $rps $p99"
}

echo "== wrk: $CONNECTIONS connections, ${DURATION}s each, loopback"
results=()
results+=("$(run bare/healthz "$LEADER" /healthz)")
results+=("$(run api/list/leader "$LEADER" '/api/v1/residents?per_page=20')")
results+=("$(run api/list/grid "$GRID" '/api/v1/residents?per_page=20')")
results+=("$(run api/list/street "$STREET" '/api/v1/residents?per_page=20')")
results+=("$(run api/search/leader "$LEADER" '/api/v1/residents?q=%E7%8E%8B&per_page=20')")
results+=("$(run api/search/last4 "$LEADER" '/api/v1/residents?q=0012&per_page=20')")
results+=("$(run api/search/address "$LEADER" '/api/v1/residents?q=1%E5%8F%B7%E6%A5%BC2%E5%8D%95%E5%85%83&per_page=20')")
results+=("$(run page/list/leader "$LEADER" '/residents' cookie)")
results+=("$(run page/search/leader "$LEADER" '/residents?q=%E7%8E%8B' cookie)")
results+=("$(run bare/healthz-again "$LEADER" /healthz)")

# The baseline is the mean of the bare endpoint measured first and last, to even out drift.
last=$((${#results[@]} - 1))
base_rps=$(printf '%s\n%s\n' "${results[0]}" "${results[$last]}" | awk '{s += $2} END {print s / 2}')
base_p99=$(printf '%s\n%s\n' "${results[0]}" "${results[$last]}" | awk '{s += $3} END {print s / 2}')
printf '\n%-22s %12s %10s %14s %12s   (bare = mean of both bare runs: %.0f req/s, p99 %.2f ms)\n' \
  endpoint req/s p99_ms "rps/bare" "p99/bare" "$base_rps" "$base_p99"
for r in "${results[@]}"; do
  echo "$r" | awk -v br="$base_rps" -v bp="$base_p99" '{ printf "%-22s %12.0f %10.2f %14.3f %12.2f\n", $1, $2, $3, $2 / br, $3 / bp }'
done
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
echo
echo "server memory: resident $((rss / 1024)) MB, peak $((hwm / 1024)) MB (target: under 300 MB)"
echo "backend $BACKEND, $HOUSEHOLDS households, $residents residents"
