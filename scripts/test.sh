#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it: formatting, vet, staticcheck, the pure-Go
# build checks, every unit and end-to-end test with the gocv tag and the race detector, against
# HQ on SQLite and on a private PostgreSQL started here.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

step "gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt would change:"; echo "$bad"; exit 1; fi

step "go vet"
go vet ./...
go vet -tags gocv ./...

step "staticcheck (with and without the gocv tag, merged)"
printf 'plain:\ngocv: -tags=gocv\n' | go tool staticcheck -matrix ./...

step "builds: hq without cgo, kiosk without the gocv tag"
CGO_ENABLED=0 go build -o /dev/null ./cmd/hq
go build -o /dev/null ./cmd/kiosk

step "PostgreSQL"
CHECKPOINT_PG_DSN=$(scripts/pg-start.sh)
export CHECKPOINT_PG_DSN CHECKPOINT_REQUIRE_PG=1
echo "using $CHECKPOINT_PG_DSN"

step "tests without the gocv tag (pure-Go paths)"
go test -count=1 ./...

step "tests with the gocv tag and the race detector"
go test -count=1 -race -tags gocv -timeout 30m ./...

step "decoder corpus floors and the 720p capture loop's 3 frames with the gocv tag (too slow under the race detector, so checked here)"
go test -count=1 -tags gocv -run 'Corpus|TestVideoLoopTime720p' ./scanner

step "capture loop leaks no Mat and no goroutine (gocv MatProfile)"
go test -count=1 -tags gocv,matprofile -run NoLeaks ./scanner
