// A small parser for the Prometheus text exposition format (enough for tests: samples with
// labels and values; comments and metadata skipped). Throws on a line it cannot read, so a
// malformed exposition fails the test.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const [, name = '', rawLabels = '', rawValue = ''] = match;
    const labels: Record<string, string> = {};
    for (const pair of rawLabels.matchAll(LABEL_PAIR)) labels[pair[1] ?? ''] = pair[2] ?? '';
    const value =
      rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    // prom-client writes NaN as "Nan"; Prometheus parses it case-insensitively.
    if (Number.isNaN(value) && rawValue.toLowerCase() !== 'nan')
      throw new Error(`bad value in: ${line}`);
    samples.push({ name, labels, value });
  }
  return samples;
}
