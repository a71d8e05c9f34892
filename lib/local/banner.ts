/** What `npm start` is running, for the one banner it prints once everything is up. */
export interface BannerFacts {
  port: number;
  tokenRequired: boolean;
  sqs: { endpoint: string; embedded: boolean; queues: number };
  state: { endpoint: string; embedded: boolean; table: string };
  /** Providers on, each with where it delivers: destination names or a host, never a URL. */
  sending: { id: string; target: string }[];
  standIns: boolean;
  off: string[];
  /** Why the providers in `off` are off. */
  offReason: string;
  /** The variables that turn providers on, for the nothing-configured hint. */
  onVariables: string[];
}

const line = (label: string, value: string, note = '') =>
  `  ${label.padEnd(8)} ${note ? value.padEnd(32) : value}${note ? ` ${note}` : ''}`.trimEnd();

export function banner(f: BannerFacts): string {
  const base = `http://127.0.0.1:${f.port}`;
  const memory = f.sqs.embedded || f.state.embedded;
  const sending = f.standIns
    ? 'every provider → the inbox’s stand-ins (nothing configured; set a webhook URL to deliver for real)'
    : f.sending.length
      ? f.sending.map((s) => `${s.id} → ${s.target}`).join(' · ')
      : `nothing: events are accepted but go nowhere; set one of ${f.onVariables.join(', ')} (or CONFIG_FILE)`;
  return [
    `flagger-notify is running on 127.0.0.1 — Ctrl-C stops it${memory ? ' (queues and rollout state live in memory)' : ''}`,
    line('inbox', `${base}/`, 'every message each destination received, live'),
    line('ingest', `${base}/events`, `Flagger's eventWebhook${f.tokenRequired ? ' (token required)' : ''}`),
    line(
      'sqs',
      f.sqs.endpoint,
      `${f.sqs.embedded ? 'embedded emulator' : 'your SQS endpoint'}, ${f.sqs.queues} queues`,
    ),
    line(
      'state',
      f.state.endpoint,
      `${f.state.embedded ? 'embedded dynalite' : 'your DynamoDB endpoint'}, table ${f.state.table}`,
    ),
    line('sending', sending),
    ...(f.off.length && !f.standIns && f.sending.length
      ? [line('off', `${f.off.join(', ')} (${f.offReason})`)]
      : []),
    line(
      'next',
      'npm run demo',
      f.standIns
        ? '(or the page’s button): the sample rollouts, live in the inbox'
        : '(or the page’s button): sends the sample rollouts to the destinations above',
    ),
  ].join('\n');
}
