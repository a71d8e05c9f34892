import * as z from 'zod/mini';
import type { RetryPolicy } from '../delivery/retry';
import { ConfigError } from '../errors';
import { CHANNEL_IDS } from '../providers/ids';
import { type Channel, dlqEnv, queueEnv, webhookEnv } from '../providers/provider';
import { loadRouting, type RoutingConfig } from '../routing/config';
import { type Env, intEnv, isDeployed, optionalEnv, parseEnv } from './env';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const webhookUrl = z
  .string({ error: 'is not set' })
  .check(z.minLength(1, 'is not set'), z.url({ error: 'must be a URL' }));

const sqsSchema = z.object({
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
  SQS_ENDPOINT: optionalEnv(httpUrl),
});

export interface SqsSettings {
  region: string;
  endpoint?: string;
}

export interface IngestConfig {
  /**
   * When non-empty, every request must carry one of them (`?token=` or `Authorization: Bearer`):
   * INGEST_TOKEN and, during a rotation, INGEST_TOKEN_PREVIOUS.
   */
  tokens: string[];
  channels: { id: string; queueUrl: string }[];
  /** Destinations and routes (lib/routing): a routing file, or one destination per channel. */
  routing: RoutingConfig;
  /** Collapse identical events within SQS's 5-minute window (DEDUP=off to keep every repeat). */
  dedup: boolean;
  sqs: SqsSettings;
}

/** Where a worker posts: a named destination's webhook and the channel options it formats with. */
export interface Destination {
  name: string;
  webhookUrl: string;
  /** The channel's formatting options (Channel.options). */
  format: unknown;
}

export interface WorkerConfig {
  /** By name; without a routing file, one named after the channel. */
  destinations: Record<string, Destination>;
  timeoutMs: number;
  /** The channel's queue (for ChangeMessageVisibility) and its dead-letter queue. */
  queueUrl: string;
  dlqUrl: string;
  retry: RetryPolicy;
  /** Minimum spacing between POSTs to the webhook from one worker instance. */
  minIntervalMs: number;
  sqs: SqsSettings;
}

const sqsOf = (e: z.infer<typeof sqsSchema>): SqsSettings => ({
  region: e.AWS_REGION,
  endpoint: e.SQS_ENDPOINT,
});

/**
 * A channel is queued to when its `<ID>_QUEUE_URL` is set; `CHANNELS` (comma list) narrows that and
 * must not name a channel without a queue.
 */
export function loadIngestConfig(env: Env): IngestConfig {
  const token = optionalEnv(z.string().check(z.minLength(16, 'must be at least 16 characters')));
  const shape: Record<string, z.ZodMiniType> = {
    INGEST_TOKEN: token,
    INGEST_TOKEN_PREVIOUS: token,
    CHANNELS: optionalEnv(z.string()),
    DEDUP: optionalEnv(z.enum(['on', 'off'], { error: 'must be on or off' })),
  };
  for (const id of CHANNEL_IDS) shape[queueEnv({ id })] = optionalEnv(httpUrl);
  const e = parseEnv(z.extend(sqsSchema, shape), env, 'ingest') as Record<string, string | undefined> &
    z.infer<typeof sqsSchema>;

  const wanted = e.CHANNELS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of wanted ?? []) {
    if (!(CHANNEL_IDS as readonly string[]).includes(id))
      throw new ConfigError(`CHANNELS: unknown channel "${id}" (known: ${CHANNEL_IDS.join(', ')})`);
    if (!e[queueEnv({ id })])
      throw new ConfigError(`CHANNELS names "${id}" but ${queueEnv({ id })} is not set`);
  }
  const channels = CHANNEL_IDS.filter((id) => e[queueEnv({ id })] && (!wanted || wanted.includes(id))).map(
    (id) => ({ id, queueUrl: e[queueEnv({ id })] as string }),
  );
  if (isDeployed(env) && !e.INGEST_TOKEN) {
    // The ingest URL is public: a deployed stage without a token would let anyone post to chat.
    throw new ConfigError(`INGEST_TOKEN: required in a deployed stage (STAGE=${env.STAGE})`);
  }
  if (e.INGEST_TOKEN_PREVIOUS && !e.INGEST_TOKEN) {
    throw new ConfigError(
      'INGEST_TOKEN_PREVIOUS: set INGEST_TOKEN too (the previous token only eases a rotation)',
    );
  }
  const tokens = [e.INGEST_TOKEN, e.INGEST_TOKEN_PREVIOUS].filter((t): t is string => Boolean(t));
  const routing = loadRouting(
    env,
    channels.map((c) => c.id),
  );
  for (const d of Object.values(routing.destinations)) {
    if (!channels.some((c) => c.id === d.type)) {
      throw new ConfigError(
        `${routing.source}: destination "${d.name}" is of type ${d.type}, but ${queueEnv({ id: d.type })} is not set`,
      );
    }
  }
  return { tokens, channels, routing, dedup: e.DEDUP !== 'off', sqs: sqsOf(e) };
}

export function loadWorkerConfig(env: Env, channel: Channel): WorkerConfig {
  const urlVar = webhookEnv(channel);
  const q = queueEnv(channel);
  const dlq = dlqEnv(channel);
  const fromFile = Boolean(env.CONFIG || env.CONFIG_FILE);
  const schema = z.extend(sqsSchema, {
    // Without a routing file the channel's one destination is this URL. Zod would quote the
    // offending value in some messages; for a webhook URL that is a secret.
    [urlVar]: fromFile ? z.optional(z.string()) : webhookUrl,
    [q]: httpUrl,
    [dlq]: httpUrl,
    DELIVERY_TIMEOUT_MS: intEnv(10_000, 100, 60_000),
    MAX_RECEIVE_COUNT: intEnv(24, 1, 1000),
    RETRY_BASE_SECONDS: intEnv(2, 1, 3600),
    RETRY_CAP_SECONDS: intEnv(900, 1, 43_200),
    MIN_INTERVAL_MS: intEnv(channel.minIntervalMs, 0, 60_000),
  });
  const e = parseEnv(schema as z.ZodMiniType<Record<string, unknown>>, env, `${channel.id} worker`);
  const routing = loadRouting(env, [channel.id]);
  const destinations: Record<string, Destination> = {};
  for (const d of Object.values(routing.destinations).filter((d) => d.type === channel.id)) {
    const [where, url] = fromFile
      ? [`${routing.source}: destinations.${d.name}.url`, d.url]
      : [urlVar, e[urlVar] as string];
    const checked = webhookUrl.safeParse(url);
    if (!checked.success) throw new ConfigError(`${where}: ${checked.error.issues[0]?.message}`);
    if (isDeployed(env)) checkAllowed(where, checked.data, channel.allowedHosts, env.WEBHOOK_ALLOWED_HOSTS);
    // The destination's own options (username, format, …) over the environment's.
    const format = channel.options({ ...env, ...d.options, [urlVar]: checked.data });
    destinations[d.name] = { name: d.name, webhookUrl: checked.data, format };
  }
  return {
    destinations,
    timeoutMs: e.DELIVERY_TIMEOUT_MS as number,
    queueUrl: e[q] as string,
    dlqUrl: e[dlq] as string,
    retry: {
      baseSeconds: e.RETRY_BASE_SECONDS as number,
      capSeconds: e.RETRY_CAP_SECONDS as number,
      maxReceiveCount: e.MAX_RECEIVE_COUNT as number,
    },
    minIntervalMs: e.MIN_INTERVAL_MS as number,
    sqs: sqsOf(e as unknown as z.infer<typeof sqsSchema>),
  };
}

/** `hooks.slack.com` matches itself; `*.logic.azure.com` matches any host below it. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));
}

/**
 * Deployed workers post only over https to the platform's own hosts (plus WEBHOOK_ALLOWED_HOSTS),
 * so a tampered setting cannot turn the relay into a way to send events anywhere.
 */
function checkAllowed(name: string, url: string, hosts: readonly string[], extra = ''): void {
  const u = new URL(url);
  const allowed = [
    ...hosts,
    ...extra
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
  ];
  if (u.protocol !== 'https:') throw new ConfigError(`${name}: must be https in a deployed stage`);
  if (!hostAllowed(u.hostname, allowed)) {
    throw new ConfigError(
      `${name}: host ${u.hostname} is not an allowed webhook host (${allowed.join(', ')}); add it to WEBHOOK_ALLOWED_HOSTS`,
    );
  }
}
