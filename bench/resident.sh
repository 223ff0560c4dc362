#!/usr/bin/env bash
# Resident self-report (居民端) throughput: every member of N households reports a temperature
# through the household's link, one reading a request, as residents' phones do; against the same
# number of readings sent by a worker one a request, and in the round's batches of 100. Printed as
# ratios measured in the same run on the same server.
#
#   bench/resident.sh                      # SQLite
#   BACKEND=postgres bench/resident.sh
#   LINKS=2000 CONC=64 bench/resident.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-20000}
LINKS=${LINKS:-1000}
CONC=${CONC:-32}
BACKEND=${BACKEND:-sqlite}
PORT=${PORT:-18097}
PW=shouhu-demo-2020

command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
cargo build --release --quiet
cargo build --release --quiet --example resident_bench
BIN=target/release/shouhu
EX=target/release/examples/resident_bench
URL="http://127.0.0.1:$PORT"

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_resident_bench_$$"
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
"$BIN" demo --database "$DB" --households "$HOUSEHOLDS" --seed-only 2>&1 | grep -E "^seeded" || true
"$BIN" demo --database "$DB" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.5; done
# After the start: the demo issues its own household link then, which would replace one of these.
echo "== links for up to $LINKS households of 南泉社区 (those its workers serve)"
"$EX" links "$DB" "$LINKS" "$WORK/tokens"
LEADER=$(curl -s -X POST -H 'content-type: application/json' \
  -d "{\"username\":\"nanquan-leader\",\"password\":\"$PW\"}" "$URL/api/v1/session" | jq -r .token)

echo "== residents report through their links, $CONC at a time"
SELF=$("$EX" self "$URL" "$WORK/tokens" "$CONC")
N=$(echo "$SELF" | field rows)
echo "== a worker sends as many, one a request, $CONC at a time"
ONE=$("$EX" staff "$URL" "$LEADER" "$DB" "$N" "$CONC")
echo "== and as many in the round's batches of 100"
BATCH=$("$EX" batch "$URL" "$LEADER" "$DB" "$N")
rate() { echo "$1" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } printf "%.0f", v["rows"] / v["seconds"] }'; }
S=$(rate "$SELF"); O=$(rate "$ONE"); B=$(rate "$BATCH")
printf '\n%-40s %10s\n' path readings/s
printf '%-40s %10s\n' "self-report through the link" "$S" "staff, one reading a request" "$O" "staff batch of 100 (/batch)" "$B"
awk -v s="$S" -v o="$O" -v b="$B" 'BEGIN {
  printf "\nratio self-report / staff one a request: %.2f\n", s / o
  printf "ratio self-report / staff batch:         %.2f\n", s / b
}'
echo "backend $BACKEND, $N readings each way"
