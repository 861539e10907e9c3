# topo-exclusions: everything a developer or CI runs goes through here.
GO       ?= go
BIN      := bin/topo-exclusions
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 20s
# make dist: static binaries for these targets, archived, into DIST.
DIST         ?= dist
DIST_TARGETS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: all build test lint bench fuzz demo golden man dist clean

all: lint test build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/topo-exclusions

# The test command (README, CI): every package, race detector on, no cache;
# it fails if a test left a file anywhere in the tree. Most CLI tests wait
# on a fake API's latency or on a child process, not on the CPU, so eight
# run at once rather than one per core.
test:
	./scripts/leftovers.sh $(GO) test -race -count=1 -parallel 8 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Speed and memory, ending with a table of each figure, its target and
# whether it was met (exit 1 when one was missed). Micro-benchmarks; the
# duplicate set at 10M keys; 1M and 10M rows validated by the binary
# (beside csvkit's csvclean when installed); a 1M-row workbook read by our
# reader, excelize and xlsxreader; then, side by side since they wait on
# pacing rather than the CPU, the pacer against fake APIs at 5, 20 and
# 50/s, every shape of limiter of issue 21 beside GNU parallel + curl
# (BenchmarkImportShapes, the longest: about 22 minutes) and a 100k-row
# re-upload with the snapshot; then an export of 50k records at 20/s.
# About 30 minutes.
BENCH_OUT ?= bench-results
# run_bench NAME, ARGS: go test ARGS into $(BENCH_OUT)/NAME.txt, shown.
run_bench = $(GO) test -run '^$$' $(2) > $(BENCH_OUT)/$(1).txt 2>&1; s=$$?; cat $(BENCH_OUT)/$(1).txt; exit $$s
bench:
	@mkdir -p $(BENCH_OUT)
	$(call run_bench,micro,-bench . -benchmem ./importer/internal/input ./importer/rows ./report)
	$(call run_bench,keyset,-bench KeySet10M -benchtime 1x ./internal/keyset)
	$(call run_bench,pacer,-bench PacerHoldsItsRate -benchtime 1x ./importer/internal/api)
	$(call run_bench,outreach,-bench Outreach -benchtime 1x ./cmd/topo-exclusions)
	$(call run_bench,resume,-bench ResumeMillion -benchtime 1x ./importer/internal/ledger)
	$(call run_bench,binary,-bench 'ValidateMillion|ValidateTenMillion|WorkbookReaders' -benchtime 1x -timeout 30m ./cmd/topo-exclusions)
	( $(call run_bench,pacing,-bench ImportPacing -benchtime 1x -timeout 30m ./cmd/topo-exclusions) ) & p=$$!; \
	  ( $(call run_bench,shapes,-bench ImportShapes -benchtime 1x -timeout 60m ./cmd/topo-exclusions) ) & q=$$!; \
	  ( $(call run_bench,snapshot,-bench Snapshot -benchtime 1x -timeout 30m ./cmd/topo-exclusions) ); \
	  s=$$?; wait $$p || s=1; wait $$q || s=1; exit $$s
	$(call run_bench,export,-bench 'BenchmarkExport$$' -benchtime 1x -timeout 30m ./cmd/topo-exclusions)
	@$(GO) run ./internal/benchtable $(BENCH_OUT)/*.txt

# A short run of every fuzz target (go test takes one target per call).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime $(FUZZTIME) ./importer/internal/input
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./importer/internal/input
	$(GO) test -run '^$$' -fuzz '^FuzzSheet$$' -fuzztime $(FUZZTIME) ./importer/internal/input
	$(GO) test -run '^$$' -fuzz '^FuzzTextGuard$$' -fuzztime $(FUZZTIME) ./importer/internal/input
	$(GO) test -run '^$$' -fuzz '^FuzzNormalize$$' -fuzztime $(FUZZTIME) ./importer/rows

# The main job on the bundled samples.
demo: build
	./scripts/demo.sh $(BIN)

# Rewrite the golden reports after an intended change; review the diff.
golden:
	$(GO) test ./cmd/topo-exclusions -run 'TestValidateSamples|TestValidateWorkbook' -update

# A release: for each of DIST_TARGETS a static binary (CGO_ENABLED=0) with
# the version embedded, archived with the README (.tar.gz, .zip for
# Windows), and DIST/SHA256SUMS of the archives.
dist:
	GO=$(GO) ./scripts/dist.sh $(DIST) $(VERSION) $(DIST_TARGETS)

# The man pages, one per command, from the same definitions as --help.
man: build
	./$(BIN) gen-man man

clean:
	rm -rf bin man dist $(BENCH_OUT)
