// The OTLP/HTTP trace receiver (scripts/lib/otlp-traces.ts) for one test: closed when the test
// ends (t.after), with a wait for the span the test expects.
import type { TestContext } from 'node:test';
import {
  startTraceReceiver,
  type ReceivedSpan,
  type TraceReceiver,
} from '../../scripts/lib/otlp-traces.js';
import { until } from './wait.js';

export { SPAN_KIND, STATUS_CODE, spansOf } from '../../scripts/lib/otlp-traces.js';

interface OtlpReceiver extends TraceReceiver {
  /** Resolves once a span matching `predicate` has arrived. */
  waitForSpan(
    predicate: (span: ReceivedSpan) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<ReceivedSpan>;
}

export async function otlpReceiverFor(t: TestContext): Promise<OtlpReceiver> {
  const receiver = await startTraceReceiver(0);
  t.after(() => receiver.close());
  return Object.assign(receiver, {
    async waitForSpan(
      predicate: (span: ReceivedSpan) => boolean,
      what: string,
      timeoutMs = 10_000,
    ) {
      await until(() => receiver.spans.some(predicate), what, timeoutMs);
      return receiver.spans.find(predicate) as ReceivedSpan;
    },
  });
}
