// The one list of the Secret that holds Alertmanager's receiver URLs: its name, where the
// StatefulSet mounts it, and the key (file) each receiver reads its URL from. The shipped
// alertmanager.yml must read exactly these files (test/monitoring/alertmanager.test.ts checks
// it), the docs show how to create it, and the kind e2e is to create it from this list.
export const RECEIVER_SECRET_NAME = 'alertmanager-receivers';

/** Where the Alertmanager StatefulSet mounts the Secret. */
export const RECEIVER_SECRETS_DIR = '/etc/alertmanager/secrets';

/** Receiver name -> Secret key holding its URL. */
export const RECEIVER_SECRET_KEYS = {
  /** Slack incoming webhook of the paging channel: critical alerts outside dev and stage. */
  pager: 'pager-url',
  /** Slack incoming webhook of the team channel: everything else. */
  team: 'team-url',
  /** The dead man's switch: a URL the Watchdog is posted to about once a minute. */
  heartbeat: 'heartbeat-url',
} as const;

export type ReceiverName = keyof typeof RECEIVER_SECRET_KEYS;
