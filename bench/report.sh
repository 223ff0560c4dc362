#!/usr/bin/env bash
# The daily report at city scale: about 1.2 million residents, one day with a check for each and
# two gate scans each. The city's report for that day as a ratio against, in the same run, a bare
# one-day GROUP BY over the raw tables (target ≤ 0.1); and what keeping the day's figures adds to
# writing a check or a scan (ratio against writing without them).
#
#   bench/report.sh                      # SQLite, 500,000 households (about 1.2 million residents)
#   BACKEND=postgres bench/report.sh
#   HOUSEHOLDS=50000 bench/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-500000}
REPS=${REPS:-5}
BACKEND=${BACKEND:-sqlite}

cargo build --release --quiet
cargo build --release --quiet --example report_bench
BIN=target/release/shouhu
EX=target/release/examples/report_bench

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_report_bench_$$"
  psql postgres://postgres@127.0.0.1:5432/postgres -qc "create database $PGDB" >/dev/null
  DB="postgres://postgres@127.0.0.1:5432/$PGDB"
else
  DB="sqlite://$WORK/bench.db"
fi
cleanup() {
  [ -n "$PGDB" ] && psql postgres://postgres@127.0.0.1:5432/postgres -qc "drop database if exists $PGDB" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

DAY=$(TZ=Asia/Shanghai date -d yesterday +%F)
echo "== seeding $HOUSEHOLDS households on $BACKEND"
"$BIN" demo --database "$DB" --households "$HOUSEHOLDS" --seed-only 2>&1 | grep -E "^seeded" || true
echo "== one day ($DAY): a check for everyone, two gate scans each"
"$EX" populate "$DB" "$DAY"
echo "== the city's report against a bare GROUP BY"
"$EX" measure "$DB" "$DAY" "$REPS"
echo "== what the day's figures add to writing"
"$EX" writes "$DB"
