# Performance and reliability evidence (docs/performance.md).
# make bench                                  service vs bare node:http ceiling, one core each
# make loadtest URL=http://NODE_IP:30082 DURATION=300   drive GET /work on a deployed environment
DURATION ?= 300
BENCH_ARGS ?=
LOADTEST_ARGS ?=

.PHONY: bench loadtest test-reliability

bench: build ## Benchmark the service against a bare node:http ceiling and print the table (BENCH_ARGS=...)
	npx tsx scripts/bench/bench.ts $(BENCH_ARGS)

loadtest: $(NPM_STAMP) ## Load a deployed env through GET /work for the HPA: make loadtest URL=http://IP:30082 DURATION=300
	@if [ -z "$(URL)" ]; then echo "loadtest: URL is required, e.g. make loadtest URL=http://203.0.113.10:30082 DURATION=300" >&2; exit 2; fi
	npx tsx scripts/loadtest/loadtest.ts --url "$(URL)" --duration "$(DURATION)" $(LOADTEST_ARGS)

test-reliability: build ## Run only the reliability tests (zero-loss shutdown, fuzz, bounds, heap limit)
	npx tsx scripts/run-tests.ts test/reliability
