# cisbot: every target a newcomer or CI needs. Tools are pinned in go.mod (go tool ...).
GO        ?= go
BIN       := bin/cisbot
PKGS      := ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/cisbot/cisbot/internal/cli.Version=$(VERSION)
FUZZTIME  ?= 30s
BENCHTIME ?= 1s

.PHONY: all build test lint fuzz bench demo docker clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/bot

## test: the whole suite with the race detector (what CI runs). The store's tests run against
## PostgreSQL too: scripts/ensure-postgres installs it with apt when it is missing.
test:
	./scripts/ensure-postgres
	$(GO) test -race -count=1 $(PKGS)

## lint: formatting, vet and staticcheck.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

## fuzz: every fuzz target for FUZZTIME each (make fuzz FUZZTIME=10m).
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: the benchmarks, with allocations.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) $(PKGS)

## demo: the bot on built-in data, no Slack or AWS credentials needed: AWS runs locally in
## moto_server (pip install "moto[server]"). In a terminal it is interactive; piped, a tour.
demo: build
	./$(BIN) demo

docker:
	docker build -t cisbot:$(VERSION) .

clean:
	rm -rf bin
