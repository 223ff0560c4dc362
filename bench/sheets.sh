#!/usr/bin/env bash
# Import and export of residents, measured against baselines taken in the same run.
#   bench/sheets.sh                      # 100,000 residents on SQLite
#   ROWS=20000 bench/sheets.sh           # fewer
#   BACKEND=postgres bench/sheets.sh     # on the local PostgreSQL server
# Import ratio = (parse alone + bare multi-row insert of the same rows) / import  (target >= 0.5)
# Export ratio = bare write of the same cells / export                           (target >= 0.5)
# Peak memory is each phase's own process (target < 500 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-100000}"
BACKEND="${BACKEND:-sqlite}"
cargo build --release --example sheets_bench >/dev/null 2>&1 || cargo build --release --example sheets_bench
BIN=target/release/examples/sheets_bench
WORK=$(mktemp -d)
PGDBS=()
cleanup() {
  for d in "${PGDBS[@]}"; do psql postgres://postgres@127.0.0.1:5432/postgres -qc "drop database if exists $d" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fresh_db() { # a new empty database for one phase
  local name="$1"
  if [ "$BACKEND" = postgres ]; then
    local d="shouhu_bench_${name}_$$"
    psql postgres://postgres@127.0.0.1:5432/postgres -qc "drop database if exists $d" >/dev/null
    psql postgres://postgres@127.0.0.1:5432/postgres -qc "create database $d" >/dev/null
    PGDBS+=("$d")
    echo "postgres://postgres@127.0.0.1:5432/$d"
  else
    echo "sqlite://$WORK/$name.db"
  fi
}

run() { # phase args... -> "seconds rows peak_kb"
  local out
  out=$( { /usr/bin/time -f "peak_kb=%M" "$BIN" "$@" ; } 2>&1 ) || true
  local s r m
  s=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
  r=$(echo "$out" | sed -n 's/.*rows=\([0-9]*\).*/\1/p')
  m=$(echo "$out" | sed -n 's/.*peak_kb=\([0-9]*\).*/\1/p')
  if [ -z "$s" ]; then echo "$out" >&2; exit 1; fi
  echo "$s $r $m"
}

echo "generating a sheet of $ROWS residents…"
run gen "$WORK/residents.xlsx" "$ROWS" >/dev/null
SIZE=$(du -k "$WORK/residents.xlsx" | cut -f1)
read -r PARSE_S PARSE_N PARSE_M < <(run parse "$WORK/residents.xlsx")
read -r INS_S INS_N INS_M < <(run insert "$WORK/residents.xlsx" "$(fresh_db insert)")
IMPORT_DB=$(fresh_db import)
read -r IMP_S IMP_N IMP_M < <(run import "$WORK/residents.xlsx" "$IMPORT_DB")
read -r EXP_S EXP_N EXP_M < <(run export "$IMPORT_DB" "$WORK/export.xlsx")
read -r WR_S WR_N WR_M < <(run write "$IMPORT_DB" "$WORK/bare.xlsx")

awk -v rows="$ROWS" -v size="$SIZE" -v backend="$BACKEND" \
    -v ps="$PARSE_S" -v pm="$PARSE_M" -v is="$INS_S" -v im="$INS_M" -v ms="$IMP_S" -v mm="$IMP_M" -v mn="$IMP_N" \
    -v es="$EXP_S" -v em="$EXP_M" -v en="$EXP_N" -v ws="$WR_S" -v wm="$WR_M" 'BEGIN {
  printf "backend %s, %d residents, sheet %.1f MB\n", backend, rows, size / 1024
  printf "  parse alone        %7.2f s  %8.0f rows/s  peak %4.0f MB\n", ps, rows / ps, pm / 1024
  printf "  bare insert        %7.2f s  %8.0f rows/s  peak %4.0f MB\n", is, rows / is, im / 1024
  printf "  import             %7.2f s  %8.0f rows/s  peak %4.0f MB  (%d created)\n", ms, mn / ms, mm / 1024, mn
  printf "  import ratio       %.2f   (parse + bare insert) / import, target >= 0.5\n", (ps + is) / ms
  printf "  bare xlsx write    %7.2f s  %8.0f rows/s  peak %4.0f MB\n", ws, en / ws, wm / 1024
  printf "  export             %7.2f s  %8.0f rows/s  peak %4.0f MB  (%d rows)\n", es, en / es, em / 1024, en
  printf "  export ratio       %.2f   bare write / export, target >= 0.5\n", ws / es
}'
