# Baton: the two commands are `make run` and `make test`; both do all set-up on a fresh
# Debian machine (as root).
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
BATON := .build/debug/baton

.PHONY: setup build run test install bench clean

## Install what is missing (apt: libpq-dev libcurl4-openssl-dev libjq-dev postgresql); a no-op when all is there.
setup:
	@bash scripts/setup.sh

## Debug build of everything.
build: setup
	$(SWIFT) build

## Run the demo pipeline on the local Postgres Baton starts itself (unless a database is configured).
run: build
	@bash scripts/demo.sh $(BATON)

## The whole test suite against a throwaway Postgres cluster (started and stopped here), then the
## pipelines' own tests (`baton test pipelines/`), the public API's doc comments, and the example
## package using Baton as a library (scripts/test-all.sh).
test: setup
	@SWIFT=$(SWIFT) bash scripts/with-test-db.sh bash scripts/test-all.sh

## A release `baton` with the Swift runtime linked in, on PATH (needs only libpq, libcurl, libjq).
install: setup
	$(SWIFT) build -c release --static-swift-stdlib --product baton
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 .build/release/baton $(DESTDIR)$(PREFIX)/bin/baton
	@echo "installed $(DESTDIR)$(PREFIX)/bin/baton"

## Throughput of Baton next to the Postgres ceiling (pgbench running the same statements), the http
## stage next to wrk, a Python stream exec stage next to jq.
bench: setup
	$(SWIFT) build -c release --product baton
	@bash scripts/with-test-db.sh bash scripts/bench.sh .build/release/baton
	@bash scripts/with-test-db.sh bash scripts/bench-http.sh .build/release/baton
	@bash scripts/with-test-db.sh bash scripts/bench-exec.sh .build/release/baton

clean:
	rm -rf .build
