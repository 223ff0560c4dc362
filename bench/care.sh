#!/usr/bin/env bash
# The 24-hour service and care at city scale: about 1.2 million residents, one in twenty (about
# 60,000) vulnerable and given to a carer of their grid. Printed as ratios against baselines
# measured in the same run: the city's daily call plan against a bare INSERT … SELECT of the same
# rows (target ≥ 0.5); a carer's "today" list p99 against /healthz of the same server (target
# ≤ 3); 1,000 concurrent claims of 100 help requests (exactly 100 winners) against 1,000 bare
# single-row updates.
#
#   bench/care.sh                        # SQLite, 500,000 households
#   BACKEND=postgres bench/care.sh
#   HOUSEHOLDS=50000 bench/care.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-500000}
REPS=${REPS:-5}
BACKEND=${BACKEND:-sqlite}

cargo build --release --quiet
cargo build --release --quiet --example care_bench
BIN=target/release/shouhu
EX=target/release/examples/care_bench

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_care_bench_$$"
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

echo "== seeding $HOUSEHOLDS households on $BACKEND"
"$BIN" demo --database "$DB" --households "$HOUSEHOLDS" --seed-only 2>&1 | grep -E "^seeded" || true
echo "== one resident in twenty given to a carer"
"$EX" populate "$DB"
echo "== measuring"
"$EX" measure "$DB" "$REPS"
