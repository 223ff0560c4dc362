#!/usr/bin/env bash
# Supplies at city scale: about 1.2 million residents, one household in five asking for an item
# today (about 100,000 open needs), and one store with a ledger of 1,000,000 movements. Printed as
# ratios against baselines measured in the same run: the city's needs list of the day against a
# bare GROUP BY of the same rows (target ≤ 2); 1,000 concurrent issues against 100 units (exactly
# 100 succeed, the store ends at 0, the ledger agrees) against 1,000 bare single-row inserts; the
# stock of every item of the store against a bare SUM over its ledger.
#
#   bench/supplies.sh                        # SQLite, 500,000 households
#   BACKEND=postgres bench/supplies.sh
#   HOUSEHOLDS=50000 bench/supplies.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-500000}
REPS=${REPS:-5}
BACKEND=${BACKEND:-sqlite}

cargo build --release --quiet
cargo build --release --quiet --example supplies_bench
BIN=target/release/shouhu
EX=target/release/examples/supplies_bench

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_supplies_bench_$$"
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
echo "== needs of the day and a store's ledger"
"$EX" populate "$DB"
echo "== measuring"
"$EX" measure "$DB" "$REPS"
