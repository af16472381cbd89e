//go:build race

package e2e

// raceEnabled: under the race detector the kiosk store's SQLite (transpiled C) runs ~15× slower,
// so the record counts shrink to keep `go test -race ./...` within minutes. The full counts run
// in the plain `go test ./...` step of `make test`.
const raceEnabled = true
