// Bucket boundaries (seconds) of http_request_duration_seconds. An idle request takes about
// 0.2 ms, so the boundaries start well below 1 ms (with the old smallest bucket of 1 ms almost
// every request landed in it and histogram_quantile() could only answer "between 0 and 1 ms");
// they run 1-2.5-5 per decade up to 10 s, beyond DELAY_MAX_SECONDS' default and the latency
// SLO's threshold, 0.5 s, which must be a boundary: the SLO counts requests in le="0.5"
// (test/service/metrics-buckets.test.ts checks every le the rules read is one of these).
// Native histograms would need Prometheus' protobuf exposition, which prom-client lacks
// (prometheus/client_js#576).
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
