// Alertmanager's API v2 as the suite uses it (prometheus/alertmanager api/v2/openapi.yaml):
// create and read a silence, and read the configuration a running Alertmanager has loaded.
// Each call is one request with a deadline and a one-line error naming what was asked.

export interface Silence {
  id: string;
  /** "active", "pending" or "expired". */
  state: string;
  comment: string;
  matchers: { name: string; value: string }[];
  endsAt: string;
}

async function call(url: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok)
    throw new Error(
      `Alertmanager ${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 200)}`,
    );
  return JSON.parse(text) as unknown;
}

/** Silences alerts whose labels equal `matchers` for `minutes`; answers the silence's id. */
export async function createSilence(
  base: string,
  matchers: Record<string, string>,
  comment: string,
  minutes: number,
): Promise<string> {
  const now = Date.now();
  const body = {
    matchers: Object.entries(matchers).map(([name, value]) => ({
      name,
      value,
      isRegex: false,
      isEqual: true,
    })),
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + minutes * 60_000).toISOString(),
    createdBy: 'hello-api e2e',
    comment,
  };
  const answer = (await call(`${base}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })) as { silenceID?: string };
  if (!answer.silenceID) throw new Error(`Alertmanager ${base} created a silence without an id`);
  return answer.silenceID;
}

/** The silence with this id, or undefined when this Alertmanager does not know it. */
export async function getSilence(base: string, id: string): Promise<Silence | undefined> {
  const response = await fetch(`${base}/api/v2/silence/${encodeURIComponent(id)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new Error(`Alertmanager GET ${base}/api/v2/silence/${id}: ${response.status}`);
  const silence = (await response.json()) as {
    id: string;
    status: { state: string };
    comment: string;
    matchers: { name: string; value: string }[];
    endsAt: string;
  };
  return {
    id: silence.id,
    state: silence.status.state,
    comment: silence.comment,
    matchers: silence.matchers.map(({ name, value }) => ({ name, value })),
    endsAt: silence.endsAt,
  };
}

/** Expires a silence (DELETE /api/v2/silence/{id}). */
export async function expireSilence(base: string, id: string): Promise<void> {
  const response = await fetch(`${base}/api/v2/silence/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok)
    throw new Error(`Alertmanager DELETE ${base}/api/v2/silence/${id}: ${response.status}`);
}

/** The configuration file this Alertmanager runs, as it loaded it (status.config.original). */
export async function loadedConfig(base: string): Promise<string> {
  const status = (await call(`${base}/api/v2/status`)) as { config?: { original?: string } };
  return status.config?.original ?? '';
}
