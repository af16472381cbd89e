#!/usr/bin/env bash
# `make bench`: every performance measurement of the project, each printed as it finishes.
#   1. QR decoding, side by side with zxing-cpp and zbar (scripts/bench-decode.sh; updates docs/BENCHMARKS.md)
#   2. kiosk store: durable check insert p50/p99, supervisor log query
#   3. HQ ingest on SQLite and PostgreSQL (records partitioned by month there; the benchmarks fail
#      if it is not): the storage layer alone and through HTTP from one kiosk in the same run, then
#      200 kiosks pushing at once
#   4. 100,000 records kiosk → HQ end to end on SQLite and PostgreSQL
# The machine may be shared and noisy: read medians and ratios, and the load average printed last.
# BENCH_ONLY=decode|store|hq|sync runs one group.
set -euo pipefail
cd "$(dirname "$0")/.."
only=${BENCH_ONLY:-}
run() { [ -z "$only" ] || [ "$only" = "$1" ]; }
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

CHECKPOINT_PG_DSN=$(scripts/pg-start.sh)
export CHECKPOINT_PG_DSN

if run decode; then
	printf '\n== QR decoding (checkpoint vs zxing-cpp vs zbar)\n'
	scripts/bench-decode.sh
fi

# gobench PATTERN PKG BENCHTIME: runs Go benchmarks, prints them, keeps the lines for the summary.
gobench() {
	go test -run '^$' -bench "$1" -benchtime "$3" -count "${4:-1}" -timeout 30m "$2" | tee /dev/stderr |
		grep -E '^Benchmark' >>"$summary" || true
}

if run store; then
	printf '\n== kiosk store\n'
	gobench 'BenchmarkSaveCheck' ./store 2000x 3
	gobench 'BenchmarkQueryLog1M' ./store 30x
fi
if run hq; then
	printf '\n== HQ ingest (SQLite and PostgreSQL, records partitioned by month): storage alone, then HTTP\n'
	gobench 'BenchmarkIngest' ./hq/sqldb 100x 3
	gobench 'BenchmarkIngest$' ./hq 60x 3
	gobench 'Kiosks200' ./hq 1x
fi
if run sync; then
	printf '\n== kiosk → HQ end to end, 100,000 records\n'
	gobench 'Sync100k' ./internal/e2e 1x
fi

printf '\n== summary (load average now: %s)\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| benchmark | iterations | result |\n|---|---|---|\n'
awk '{ name=$1; it=$2; $1=""; $2=""; sub(/^ +/, ""); printf "| %s | %s | %s |\n", name, it, $0 }' "$summary"
