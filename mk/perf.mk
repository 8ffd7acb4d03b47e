# Performance and reliability evidence (docs/performance.md).
# make bench                                  service (tracing off, 10 %, all) vs bare node:http ceiling, one core each
# make bench-log                              the log destination micro-benchmark (src/logging/turn-batched-writer.ts)
# make loadtest URL=http://NODE_IP:30082 DURATION=300   drive GET /work on a deployed environment
DURATION ?= 300
BENCH_ARGS ?=
BENCH_LOG_ARGS ?=
LOADTEST_ARGS ?=

.PHONY: bench bench-log loadtest test-reliability

bench: build ## Benchmark the service (tracing off, 10 %, all) against a bare node:http ceiling with prod's NODE_OPTIONS and print the table (BENCH_ARGS=..., BENCH_NODE_OPTIONS=...)
	npx tsx scripts/bench/bench.ts $(BENCH_ARGS)

bench-log: $(NPM_STAMP) ## CPU per log line: the service's log destination vs pino's default (BENCH_LOG_ARGS=...)
	npx tsx scripts/bench/log-destination.ts $(BENCH_LOG_ARGS)

loadtest: $(NPM_STAMP) ## Load a deployed env through GET /work (autocannon) for the HPA: make loadtest URL=http://IP:30082 DURATION=300
	npx tsx scripts/loadtest/loadtest.ts --url "$(URL)" --duration "$(DURATION)" $(LOADTEST_ARGS)

test-reliability: build ## Run only the reliability tests (zero-loss shutdown, latency under load, fuzz, bounds, memory and heap limit)
	npx tsx scripts/run-tests.ts test/reliability
