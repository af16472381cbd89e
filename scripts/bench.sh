#!/usr/bin/env bash
# `make bench`: every performance measurement of the project, each printed as it finishes.
#   1. QR decoding, side by side with zxing-cpp and zbar (scripts/bench-decode.sh; updates docs/BENCHMARKS.md)
#   2. kiosk store: durable check insert p50/p99, supervisor log query
#   3. HQ ingest on SQLite and PostgreSQL (records partitioned by month there; the benchmarks fail
#      if it is not): the storage layer alone and through HTTP from one kiosk in the same run, then
#      200 kiosks pushing at once
#   4. 100,000 records kiosk → HQ end to end on SQLite and PostgreSQL
#   5. HQ console: 总览 (GET /admin/, rendered uncached, with an operator's session) at 500 kiosks
#      and 1,000,000 records on SQLite and PostgreSQL, p50/p95
#   6. the kiosk over a shift (internal/kioske2e, gocv): frame-in → verdict p50/p95 over 60 people
#      (camera pipeline + station verify, in process), warm start exec → window (median of 5, the
#      real binary under Xvfb), RSS while the camera loop runs for BENCH_SOAK (default 10m)
# The machine may be shared and noisy: read medians and ratios, and the load average printed last.
# BENCH_ONLY=decode|store|hq|console|sync|kiosk runs one group.
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

# gobench PATTERN PKG BENCHTIME [COUNT]: runs Go benchmarks, prints them, keeps the lines for the
# summary; TAGS=… adds build tags.
gobench() {
	go test ${TAGS:+-tags "$TAGS"} -run '^$' -bench "$1" -benchtime "$3" -count "${4:-1}" -timeout 30m "$2" | tee /dev/stderr |
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
if run console; then
	printf '\n== HQ console: 总览 at 500 kiosks and %s records (SQLite and PostgreSQL), uncached, p50/p95\n' "${CHECKPOINT_BENCH_RECORDS:-1000000}"
	CHECKPOINT_BENCH_RECORDS=${CHECKPOINT_BENCH_RECORDS:-1000000} gobench 'BenchmarkOverview' ./hq/console 40x
fi
if run sync; then
	printf '\n== kiosk → HQ end to end, 100,000 records\n'
	gobench 'Sync100k' ./internal/e2e 1x
fi
if run citizen; then
	printf '\n== 吉事办: 100 logins at once, then 200 logged-in clients fetching their code\n'
	gobench 'BenchmarkCitizen' ./internal/e2e 1x
fi
if run kiosk; then
	printf '\n== kiosk over a shift: frame-in → verdict, warm start, RSS for %s\n' "${BENCH_SOAK:-10m}"
	TAGS=gocv gobench 'BenchmarkFrameToVerdict' ./internal/kioske2e 1x
	TAGS=gocv gobench 'BenchmarkKioskWarmStart' ./internal/kioske2e 1x
	BENCH_SOAK=${BENCH_SOAK:-10m} TAGS=gocv gobench 'BenchmarkKioskSoak' ./internal/kioske2e 1x
fi

printf '\n== summary (load average now: %s)\n\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| benchmark | iterations | result |\n|---|---|---|\n'
awk '{ name=$1; it=$2; $1=""; $2=""; sub(/^ +/, ""); printf "| %s | %s | %s |\n", name, it, $0 }' "$summary"
