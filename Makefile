# Baton: the two commands are `make run` and `make test`; both do all set-up on a fresh
# Debian machine (as root).
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
BATON := .build/debug/baton

.PHONY: setup build run test install bench bench-peers chaos chaos-short clean

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
## package using Baton as a library, and the short chaos suite (scripts/test-all.sh).
test: setup
	@SWIFT=$(SWIFT) bash scripts/with-test-db.sh bash scripts/test-all.sh

## A release `baton` with the Swift runtime linked in, on PATH (needs only libpq, libcurl, libjq).
install: setup
	$(SWIFT) build -c release --static-swift-stdlib --product baton
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 .build/release/baton $(DESTDIR)$(PREFIX)/bin/baton
	@echo "installed $(DESTDIR)$(PREFIX)/bin/baton"

## Baton against what a user would otherwise run (psql, wrk, a jq stage), one table, written
## to BENCHMARKS.md; one durable throwaway cluster; under 15 min at default sizes
## (BENCH_ITEMS, default 1000000; BENCH_SMALL, default 100000). See scripts/bench.sh.
bench: setup
	$(SWIFT) build -c release --product baton
	@bash scripts/bench.sh .build/release/baton

## Optional: Baton next to PgQueuer (a throwaway venv, pip install pgqueuer); not part of bench or test.
bench-peers: setup
	$(SWIFT) build -c release --product baton
	@bash scripts/bench-peers.sh .build/release/baton

## Chaos: real baton processes against a throwaway Postgres with faults injected (docs/CHAOS.md).
## CHAOS_ROUNDS rounds per scenario (default 50) on a release build; CHAOS_ARGS adds options
## (e.g. CHAOS_ARGS="--seed 42 --scenario 1,4").
CHAOS_ROUNDS ?= 50
CHAOS_ARGS ?=
chaos: setup
	$(SWIFT) build -c release --product baton
	python3 scripts/chaos/chaos.py --binary .build/release/baton --rounds $(CHAOS_ROUNDS) $(CHAOS_ARGS)

## The quick version (2 rounds per scenario, every zombie phase and hang kind once; a few minutes).
chaos-short: setup
	$(SWIFT) build --product baton
	python3 scripts/chaos/chaos.py --binary $(BATON) --short $(CHAOS_ARGS)

clean:
	rm -rf .build
