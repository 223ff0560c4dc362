#!/usr/bin/env bash
# Notices at city scale: one notice to every grid worker of a city (10,000 by default) and its
# receipts page — totals per community and the first 500 people, the missing first — against a
# bare GROUP BY of the same receipts (target ≤ 2), printed as a ratio measured in the same run.
#
#   bench/notices.sh                         # SQLite
#   BACKEND=postgres bench/notices.sh
#   RECIPIENTS=50000 bench/notices.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HOUSEHOLDS=${HOUSEHOLDS:-100000}
RECIPIENTS=${RECIPIENTS:-10000}
REPS=${REPS:-7}
BACKEND=${BACKEND:-sqlite}

cargo build --release --quiet
cargo build --release --quiet --example notices_bench
BIN=target/release/shouhu

WORK=$(mktemp -d)
PGDB=""
if [ "$BACKEND" = postgres ]; then
  PGDB="shouhu_notices_bench_$$"
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
echo "== a notice to $RECIPIENTS grid workers"
target/release/examples/notices_bench run "$DB" "$REPS" "$RECIPIENTS"
