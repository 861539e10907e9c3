# topo-exclusions: everything a developer or CI runs goes through here.
GO       ?= go
BIN      := bin/topo-exclusions
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 20s

.PHONY: all build test lint bench fuzz demo golden clean

all: lint test build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/topo-exclusions

# The test command (README, CI): every package, race detector on, no cache.
test:
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Speed and memory: micro-benchmarks; 1,000,000 rows validated by the
# binary beside csvkit's csvclean (apt-get install csvkit) when present;
# then 2,000 rows sent through the fake API at 20/s (about 4 minutes).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./importer ./report
	$(GO) test -run '^$$' -bench Million -benchtime 3x ./cmd/topo-exclusions
	$(GO) test -run '^$$' -bench ImportPacing -benchtime 1x -timeout 20m ./cmd/topo-exclusions

# A short run of every fuzz target (go test takes one target per call).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime $(FUZZTIME) ./importer
	$(GO) test -run '^$$' -fuzz '^FuzzNormalize$$' -fuzztime $(FUZZTIME) ./importer
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./importer

# The main job on the bundled samples.
demo: build
	./scripts/demo.sh $(BIN)

# Rewrite the golden reports after an intended change; review the diff.
golden:
	$(GO) test ./cmd/topo-exclusions -run 'TestValidateSamples' -update

clean:
	rm -rf bin
