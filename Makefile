# scan445 — the README's two commands are `make demo` and `make test`.
GO        ?= go
BIN       := bin/scan445
FUZZTIME  ?= 20s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

.PHONY: all build test vet fmt-check demo bench fuzz clean man completions

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/scan445

# The man page and shell completions, generated from the CLI definition by the binary itself.
man: build
	$(BIN) man > bin/scan445.1

completions: build
	for sh in bash zsh fish; do $(BIN) completion $$sh > bin/scan445.$$sh; done

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# go vet + the race-enabled test suite. Integration tests against Samba, nmap, impacket and
# Chromium run when those are installed (.ci/run installs them) and skip with a reason otherwise.
test: fmt-check vet
	$(GO) test -race -count=1 -timeout 20m ./...

demo: build
	./scripts/demo.sh

bench: build
	./scripts/bench.sh

# Every fuzz target in the tree, FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

clean:
	rm -rf bin demo/report.* demo/lab.log
