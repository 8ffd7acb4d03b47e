# Monitoring (issue 5): the local Prometheus + Alertmanager stack and the monitoring tests.
.PHONY: monitor test-monitoring

monitor: build ## Run hello-api, Prometheus, Alertmanager, a receiver webhook and a trace receiver locally with the shipped rules (Ctrl-C stops)
	npx tsx scripts/monitor/main.ts

test-monitoring: build ## Run the monitoring tests (promtool, amtool, manifests, reload, dead man's switch, live stack, tracing, docs)
	npx tsx scripts/run-tests.ts test/monitoring
