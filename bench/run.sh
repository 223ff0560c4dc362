#!/usr/bin/env bash
# Benchmark of the foundation at city scale. Prints figures as ratios against a baseline measured in
# the same run, because the machine is shared and absolute times drift.
#
#   bench/run.sh                         # SQLite, 500,000 households (about 1.2 million residents)
#   BACKEND=postgres bench/run.sh        # the same on the local PostgreSQL server
#   HOUSEHOLDS=50000 DURATION=5 ROUNDS=1 bench/run.sh
#
# It measures: the seeding rate; the residents list and search through the API and the page under
# wrk (64 connections, loopback) — throughput and p99 against /healthz, a bare endpoint of the same
# server that does one database round trip; and the server's resident memory.
#
# Every endpoint, the bare one included, is measured in each of ROUNDS rounds, one after another,
# so that drift of the machine during the run reaches the baseline as much as the rest; a figure is
# the median of its rounds, and each round's p99 is also given against that round's bare p99.
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-500000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
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
# The last four digits to search for: those of a resident the leader can see (the masked phone keeps
# them), so that the search finds someone rather than measuring an empty answer.
LAST4=$(curl -s -H "Authorization: Bearer $LEADER" "http://127.0.0.1:$PORT/api/v1/residents?per_page=1" | jq -r '.items[0].phone // empty' | grep -oE '[0-9]{4}$' || true)
[ -n "$LAST4" ] || { echo "no resident with a phone to search for" >&2; exit 1; }
echo "last four digits searched for: $LAST4 ($(curl -s -H "Authorization: Bearer $LEADER" "http://127.0.0.1:$PORT/api/v1/residents?q=$LAST4&per_page=1" | jq .total) residents of the leader's)"

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

echo "== wrk: $CONNECTIONS connections, ${DURATION}s each, $ROUNDS rounds, loopback"
ENDPOINTS=(
  "bare/healthz|$LEADER|/healthz|bearer"
  "api/list/leader|$LEADER|/api/v1/residents?per_page=20|bearer"
  "api/list/grid|$GRID|/api/v1/residents?per_page=20|bearer"
  "api/list/street|$STREET|/api/v1/residents?per_page=20|bearer"
  "api/search/leader|$LEADER|/api/v1/residents?q=%E7%8E%8B&per_page=20|bearer"
  "api/search/last4|$LEADER|/api/v1/residents?q=$LAST4&per_page=20|bearer"
  "api/search/address|$LEADER|/api/v1/residents?q=1%E5%8F%B7%E6%A5%BC2%E5%8D%95%E5%85%83&per_page=20|bearer"
  "page/list/leader|$LEADER|/residents|cookie"
  "page/search/leader|$LEADER|/residents?q=%E7%8E%8B|cookie"
)
# Each line of $WORK/rounds: ROUND NAME req/s p99_ms
for round in $(seq 1 "$ROUNDS"); do
  for e in "${ENDPOINTS[@]}"; do
    IFS='|' read -r name tok path how <<<"$e"
    line=$(run "$name" "$tok" "$path" "$how")
    echo "$round $line" >>"$WORK/rounds"
  done
  echo "   round $round of $ROUNDS done"
done

awk '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    if (!($2 in seen)) { seen[$2] = 1; order[++names] = $2 }
    rps[$2] = rps[$2] " " $3; p99[$2] = p99[$2] " " $4
    if ($2 == "bare/healthz") bare[$1] = $4
    round_of[NR] = $1; name_of[NR] = $2; p99_of[NR] = $4
  }
  END {
    for (i = 1; i <= NR; i++) rounds[name_of[i]] = rounds[name_of[i]] sprintf(" %.2f", p99_of[i] / bare[round_of[i]])
    br = median(rps["bare/healthz"]); bp = median(p99["bare/healthz"])
    printf "\n%-20s %9s %8s %9s %9s   %s\n", "endpoint", "req/s", "p99_ms", "rps/bare", "p99/bare", "p99/bare by round"
    for (i = 1; i <= names; i++) {
      n = order[i]; r = median(rps[n]); p = median(p99[n])
      printf "%-20s %9.0f %8.2f %9.3f %9.2f  %s\n", n, r, p, r / br, p / bp, rounds[n]
    }
    printf "(medians of the rounds; bare: %.0f req/s, p99 %.2f ms)\n", br, bp
  }' "$WORK/rounds"
echo
echo "each round (round endpoint req/s p99_ms):"
column -t "$WORK/rounds" 2>/dev/null || cat "$WORK/rounds"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
echo
echo "server memory: resident $((rss / 1024)) MB, peak $((hwm / 1024)) MB (target: under 300 MB)"
echo "backend $BACKEND, $HOUSEHOLDS households, $residents residents"
