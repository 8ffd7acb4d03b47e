// The /metrics body in the format the scraper asks for: OpenMetrics 1.0 when its Accept header
// names application/openmetrics-text (Prometheus does, with scrape_protocols listing
// OpenMetricsText1.0.0 first), else the classic Prometheus text format 0.0.4. Only OpenMetrics
// carries exemplars: the trace id behind a bucket's latest observation.
import { Registry, type RegistryContentType } from 'prom-client';

const OPENMETRICS_TYPE = 'application/openmetrics-text';

function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes(OPENMETRICS_TYPE);
}

/** The metric objects' names, which prom-client's OpenMetrics rendering changes in place. */
interface Named {
  name: string;
}

/**
 * Renders one registry in either format, one scrape at a time. prom-client renders OpenMetrics
 * by renaming every counter in place (it drops the _total suffix, prom-client lib/registry.js
 * `metrics()`); the names are restored afterwards, and scrapes are serialised so that a classic
 * scrape never renders in between. Scrapes come every few seconds: the queue is always short.
 */
export function expositionOf(registry: Registry) {
  let previous: Promise<unknown> = Promise.resolve();
  async function render(openMetrics: boolean): Promise<string> {
    if (!openMetrics) return registry.metrics();
    const metrics = registry.getMetricsAsArray() as unknown as Named[];
    const names = metrics.map((metric) => metric.name);
    // The same metric objects in a registry of the other format (prom-client's types give the
    // registry no constructor argument and a content type fixed by its type parameter).
    const asOpenMetrics = Registry.merge([registry]) as Registry<RegistryContentType>;
    asOpenMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    try {
      return await asOpenMetrics.metrics();
    } finally {
      metrics.forEach((metric, index) => {
        metric.name = names[index] ?? metric.name;
      });
    }
  }
  return async function exposition(
    accept: string | undefined,
  ): Promise<{ body: string; contentType: string }> {
    const openMetrics = wantsOpenMetrics(accept);
    const body = previous.then(() => render(openMetrics));
    previous = body.catch(() => undefined);
    return {
      body: await body,
      contentType: openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : registry.contentType,
    };
  };
}
