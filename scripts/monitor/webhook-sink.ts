// A loopback HTTP endpoint that stands in for the receivers (the Slack webhooks and the
// heartbeat service): it records every notification Alertmanager posts (by path, e.g. /pager,
// /team or /heartbeat) so a test can wait for one and `make monitor` can print them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Notification {
  path: string;
  body: Record<string, unknown>;
  /** Date.now() when the whole request had arrived. */
  receivedAt: number;
}

/**
 * "[FIRING] Alertname (namespace)" for a notification: the Slack receivers' title as the shipped
 * template renders it, or the same built from a generic webhook's (the heartbeat's) payload.
 */
export function notificationTitle(notification: Notification): string {
  const attachments = notification.body.attachments as { title?: string }[] | undefined;
  const title = attachments?.[0]?.title;
  if (title !== undefined) return title;
  const { status, commonLabels } = notification.body as {
    status?: string;
    commonLabels?: Record<string, string>;
  };
  if (status === undefined || commonLabels === undefined) return JSON.stringify(notification.body);
  const namespace = commonLabels.namespace ? ` (${commonLabels.namespace})` : '';
  return `[${status.toUpperCase()}] ${commonLabels.alertname ?? ''}${namespace}`;
}

export interface WebhookSink {
  readonly url: string;
  readonly received: Notification[];
  close(): Promise<void>;
}

export async function startWebhookSink(
  port = 0,
  onNotification: (notification: Notification) => void = () => undefined,
): Promise<WebhookSink> {
  const received: Notification[] = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = { unparsed: raw };
      }
      const notification = { path: request.url ?? '/', body, receivedAt: Date.now() };
      received.push(notification);
      onNotification(notification);
      // Slack answers "ok"; Alertmanager's Slack notifier only looks at the status code.
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
