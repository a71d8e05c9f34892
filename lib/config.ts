import * as z from 'zod/mini';
import { type Channel, dlqEnv, queueEnv, webhookEnv } from './channels/channel';
import { CHANNEL_IDS } from './channels/ids';
import { ConfigError } from './errors';
import type { RetryPolicy } from './retry';
import { describeIssues } from './zod';

type Env = Record<string, string | undefined>;

// Empty strings count as unset: serverless.yml passes `${env:X, ''}` for optional settings.
const optional = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.transform((v: unknown) => (v === '' ? undefined : v)),
    z.optional(schema),
  );
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const sqsSchema = z.object({
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
  SQS_ENDPOINT: optional(httpUrl),
});

export interface SqsSettings {
  region: string;
  endpoint?: string;
}

export interface IngestConfig {
  /** When set, every request must carry it (`?token=` or `Authorization: Bearer`). */
  token?: string;
  channels: { id: string; queueUrl: string }[];
  /** Collapse identical events within SQS's 5-minute window (DEDUP=off to keep every repeat). */
  dedup: boolean;
  sqs: SqsSettings;
}

export interface WorkerConfig {
  webhookUrl: string;
  timeoutMs: number;
  /** The channel's queue (for ChangeMessageVisibility) and its dead-letter queue. */
  queueUrl: string;
  dlqUrl: string;
  retry: RetryPolicy;
  /** Minimum spacing between POSTs to the webhook from one worker instance. */
  minIntervalMs: number;
  /** The channel's formatting options (Channel.options), parsed with the rest at cold start. */
  format: unknown;
  sqs: SqsSettings;
}

function parse<T>(schema: z.ZodMiniType<T>, env: Env, what: string): T {
  const r = schema.safeParse(env);
  if (!r.success)
    throw new ConfigError(`invalid ${what} configuration: ${describeIssues(r.error.issues).join('; ')}`);
  return r.data;
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
  const shape: Record<string, z.ZodMiniType> = {
    INGEST_TOKEN: optional(z.string().check(z.minLength(16, 'must be at least 16 characters'))),
    CHANNELS: optional(z.string()),
    DEDUP: optional(z.enum(['on', 'off'], { error: 'must be on or off' })),
  };
  for (const id of CHANNEL_IDS) shape[queueEnv({ id })] = optional(httpUrl);
  const e = parse(z.extend(sqsSchema, shape), env, 'ingest') as Record<string, string | undefined> &
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
  return { token: e.INGEST_TOKEN, channels, dedup: e.DEDUP !== 'off', sqs: sqsOf(e) };
}

/** A whole number within bounds, from an env var or its default. */
const int = (fallback: number, min: number, max: number) =>
  z
    ._default(
      z.pipe(
        z.string(),
        z.transform((v) => Number(v)),
      ),
      fallback,
    )
    .check(
      z.refine(
        (n) => Number.isInteger(n) && n >= min && n <= max,
        `must be a whole number from ${min} to ${max}`,
      ),
    );

export function loadWorkerConfig(env: Env, channel: Channel): WorkerConfig {
  const urlVar = webhookEnv(channel);
  const q = queueEnv(channel);
  const dlq = dlqEnv(channel);
  const schema = z.extend(sqsSchema, {
    // Zod would quote the offending value in some messages; for a webhook URL that is a secret.
    [urlVar]: z
      .string({ error: 'is not set' })
      .check(z.minLength(1, 'is not set'), z.url({ error: 'must be a URL' })),
    [q]: httpUrl,
    [dlq]: httpUrl,
    DELIVERY_TIMEOUT_MS: int(10_000, 100, 60_000),
    MAX_RECEIVE_COUNT: int(24, 1, 1000),
    RETRY_BASE_SECONDS: int(2, 1, 3600),
    RETRY_CAP_SECONDS: int(900, 1, 43_200),
    MIN_INTERVAL_MS: int(channel.minIntervalMs, 0, 60_000),
  });
  const e = parse(schema as z.ZodMiniType<Record<string, unknown>>, env, `${channel.id} worker`);
  return {
    webhookUrl: e[urlVar] as string,
    timeoutMs: e.DELIVERY_TIMEOUT_MS as number,
    queueUrl: e[q] as string,
    dlqUrl: e[dlq] as string,
    retry: {
      baseSeconds: e.RETRY_BASE_SECONDS as number,
      capSeconds: e.RETRY_CAP_SECONDS as number,
      maxReceiveCount: e.MAX_RECEIVE_COUNT as number,
    },
    minIntervalMs: e.MIN_INTERVAL_MS as number,
    format: channel.options(env),
    sqs: sqsOf(e as unknown as z.infer<typeof sqsSchema>),
  };
}
