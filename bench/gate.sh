#!/usr/bin/env bash
# Gate scans under load: sustained scans per second and p99 with wrk (64 connections, loopback),
# as a ratio against a bare endpoint of the same server that does one single-row insert per
# request (measured before and after the scans, averaged). A full scan: sign-in check, code lookup,
# the community's rules, home isolation, the exit quota, the log, the day's figures, idempotency.
#
#   bench/gate.sh                      # SQLite (synchronous=FULL)
#   BACKEND=postgres bench/gate.sh
#   DURATION=5 HOUSEHOLDS=3900 bench/gate.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-3900}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
PASSES=${PASSES:-400}
BACKEND=${BACKEND:-sqlite}
PORT=${PORT:-18183}
PW=shouhu-demo-2020

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
cargo build --release --quiet
BIN=target/release/shouhu
URL="http://127.0.0.1:$PORT"

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_gate_bench_$$"
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
"$BIN" demo --database "$DB" --households "$HOUSEHOLDS" --seed-only >/dev/null 2>"$WORK/seed.log"
SHOUHU_BENCH_ENDPOINTS=true "$BIN" demo --database "$DB" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.5; done
token() { curl -s -X POST -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$PW\"}" "$URL/api/v1/session" | jq -r .token; }
LEADER=$(token nanquan-leader)
GUARD=$(token nanquan-gate-east)
GATE=$(curl -s -H "authorization: Bearer $GUARD" "$URL/api/v1/gates" | jq '.items[0].id')

echo "== issuing $PASSES passes"
page=1; households=()
while [ ${#households[@]} -lt "$PASSES" ]; do
  ids=$(curl -s -H "authorization: Bearer $LEADER" "$URL/api/v1/residents?unit=650203002005&per_page=100&page=$page" | jq -r '.items[].household_id' | sort -un)
  [ -z "$ids" ] && break
  for h in $ids; do households+=("$h"); done
  page=$((page + 1))
done
codes=$(for h in "${households[@]:0:$PASSES}"; do
  curl -s -H "authorization: Bearer $LEADER" "$URL/api/v1/households/$h/pass" | jq -r .code
done | sort -u | awk '{printf "\"%s\",", $0}')

RUN=$(date +%s)
cat >"$WORK/scan.lua" <<LUA
local codes = {${codes%,}}
local counter = 0
setup = function(thread) thread:set("tid", math.random(1, 1000000000)) end
request = function()
  counter = counter + 1
  local dir = (counter % 2 == 0) and "in" or "out"
  local body = string.format('{"gate_id":$GATE,"code":"%s","direction":"%s","temperature":36.5,"idempotency_key":"$RUN-%d-%d"}',
    codes[(counter % #codes) + 1], dir, tid, counter)
  return wrk.format("POST", "/api/v1/gate/scans", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $GUARD"}, body)
end
LUA
cat >"$WORK/bare.lua" <<LUA
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"gate_id":$GATE,"code":"BARE","direction":"in","temperature":36.5,"idempotency_key":"%d"}', counter)
  return wrk.format("POST", "/bench/insert", {["Content-Type"] = "application/json"}, body)
end
LUA

# CPU ticks (utime + stime) of the server and of the database server's processes, to show where a
# request's work is done (the three share the machine's cores).
ticks() { awk '{s += $14 + $15} END {print s + 0}' "$@" 2>/dev/null || echo 0; }
db_stats() { if [ "$BACKEND" = postgres ]; then pgrep -x postgres | sed 's|.*|/proc/&/stat|'; fi; }
run() { # NAME SCRIPT PATH -> "NAME rps p99_ms server_cpu_us/req db_cpu_us/req"
  local out rps p99 s0 d0 s1 d1 n
  s0=$(ticks "/proc/$SERVER/stat"); d0=$(ticks $(db_stats) /dev/null)
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$2" "$URL$3")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1: non-2xx answers: $out" >&2; exit 1; fi
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" { v=$2; if (v ~ /us$/) { sub(/us/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v) } else if (v ~ /s$/) { sub(/s/,"",v); v=v*1000 } print v }')
  s1=$(ticks "/proc/$SERVER/stat"); d1=$(ticks $(db_stats) /dev/null)
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  hz=$(getconf CLK_TCK)
  echo "$1 $rps $p99 $(( (s1 - s0) * 1000000 / hz / n )) $(( (d1 - d0) * 1000000 / hz / n ))"
}

echo "== wrk $CONNECTIONS connections, ${DURATION}s each"
results=()
results+=("$(run bare/insert "$WORK/bare.lua" /bench/insert)")
results+=("$(run gate/scan "$WORK/scan.lua" /api/v1/gate/scans)")
results+=("$(run bare/insert-again "$WORK/bare.lua" /bench/insert)")
base_rps=$(printf '%s\n%s\n' "${results[0]}" "${results[2]}" | awk '{s += $2} END {print s / 2}')
base_p99=$(printf '%s\n%s\n' "${results[0]}" "${results[2]}" | awk '{s += $3} END {print s / 2}')
printf '\n%-20s %10s %10s %10s %10s %14s %12s\n' endpoint req/s p99_ms rps/bare p99/bare "server_us/req" "db_us/req"
for r in "${results[@]}"; do
  echo "$r" | awk -v br="$base_rps" -v bp="$base_p99" '{ printf "%-20s %10.0f %10.2f %10.3f %10.2f %14d %12d\n", $1, $2, $3, $2 / br, $3 / bp, $4, $5 }'
done
echo "(server_us/req and db_us/req: CPU time of the server and of the database server per request)"
LOGGED=$(curl -s -H "authorization: Bearer $LEADER" "$URL/api/v1/gate/log?community=650203002005" | jq '.counts | .gate_in + .gate_out + .gate_refused')
echo "scans logged (from the day's figures): $LOGGED; backend $BACKEND, $HOUSEHOLDS households, ${#households[@]} with passes"
