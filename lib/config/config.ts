import * as z from 'zod/mini';
import type { SqsSettings } from '../aws/envelope';
import type { WorkerConfig } from '../delivery/worker';
import { type Env, intEnv, optionalEnv, parseEnv } from '../env';
import { ConfigError } from '../errors';
import { PROVIDER_IDS, parseChannels, providerById } from '../providers/catalog';
import { DLQ_ENV, type Provider, queueEnv } from '../providers/provider';
import type { RolloutStore } from '../rollouts/state';
import { loadRouting, type RoutingConfig } from '../routing/config';
import { type Access, loadAccess } from './clusters';
import { type Destination, loadDestinations } from './destinations';
import { loadQuiet } from './quiet';
import { loadWording } from './templates';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const sqsSchema = z.object({
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
  SQS_ENDPOINT: optionalEnv(httpUrl),
});

export type { SqsSettings };

/**
 * When it has tokens, every request must carry one of them (`?token=` or `Authorization: Bearer`):
 * INGEST_TOKEN (and INGEST_TOKEN_PREVIOUS during a rotation), or a cluster's own (docs/fleet.md).
 */
export interface IngestConfig extends Access {
  /** The providers ingest queues to, each with its queue. */
  providers: { id: string; queueUrl: string }[];
  /** Destinations and routes (lib/routing): a routing file, or one destination per provider. */
  routing: RoutingConfig;
  sqs: SqsSettings;
}

export type { Destination, WorkerConfig };

const sqsOf = (e: z.infer<typeof sqsSchema>): SqsSettings => ({
  region: e.AWS_REGION,
  endpoint: e.SQS_ENDPOINT,
});

/**
 * A provider is queued to when its `<ID>_QUEUE_URL` is set; `CHANNELS` (comma list of provider
 * types, the deploy's own list) narrows that and must not name one without a queue.
 */
export async function loadIngestConfig(env: Env): Promise<IngestConfig> {
  const access = loadAccess(env);
  const shape: Record<string, z.ZodMiniType> = {
    CHANNELS: optionalEnv(z.string()),
  };
  for (const id of PROVIDER_IDS) shape[queueEnv(id)] = optionalEnv(httpUrl);
  const e = parseEnv(z.extend(sqsSchema, shape), env, 'ingest') as Record<string, string | undefined> &
    z.infer<typeof sqsSchema>;

  const wanted = parseChannels(e.CHANNELS)?.map((p) => p.id);
  for (const id of wanted ?? []) {
    if (!e[queueEnv(id)]) throw new ConfigError(`CHANNELS names "${id}" but ${queueEnv(id)} is not set`);
  }
  const providers = PROVIDER_IDS.filter((id) => e[queueEnv(id)] && (!wanted || wanted.includes(id))).map(
    (id) => ({ id, queueUrl: e[queueEnv(id)] as string }),
  );
  const routing = await loadRouting(
    env,
    providers.map((c) => c.id),
    { options: false },
  );
  for (const d of Object.values(routing.destinations)) {
    if (!providers.some((c) => c.id === d.type)) {
      throw new ConfigError(
        `${routing.source}: destination "${d.name}" is of type ${d.type}, but ${queueEnv(d.type)} is not set`,
      );
    }
  }
  return {
    ...access,
    providers,
    routing,
    sqs: sqsOf(e),
  };
}

/**
 * A worker's settings and its destinations, each checked by its provider (URL, allowed host,
 * options) so a bad one fails the cold start naming the destination and field.
 */
export async function loadWorkerConfig(
  env: Env,
  provider: Provider,
  makeStore?: (table: string) => RolloutStore,
): Promise<WorkerConfig> {
  const q = queueEnv(provider.id);
  const dlq = DLQ_ENV;
  const schema = z.extend(sqsSchema, {
    [q]: httpUrl,
    [dlq]: httpUrl,
    DELIVERY_TIMEOUT_MS: intEnv(10_000, 100, 60_000),
    MAX_RECEIVE_COUNT: intEnv(1000, 1, 1000),
    RETRY_WINDOW_SECONDS: intEnv(7200, 1, 43_200),
    RETRY_BASE_SECONDS: intEnv(2, 1, 3600),
    RETRY_CAP_SECONDS: intEnv(900, 1, 43_200),
    MIN_INTERVAL_MS: intEnv(provider.minIntervalMs, 0, 60_000),
  });
  const e = parseEnv(schema as z.ZodMiniType<Record<string, unknown>>, env, `${provider.id} worker`);
  const { destinations, store, routing } = await loadDestinations(env, provider, makeStore);
  const wording = loadWording(routing, Object.keys(destinations));
  const quiet = loadQuiet(routing, Object.keys(destinations));
  return {
    destinations,
    timeoutMs: e.DELIVERY_TIMEOUT_MS as number,
    queueUrl: e[q] as string,
    dlqUrl: e[dlq] as string,
    retry: {
      baseSeconds: e.RETRY_BASE_SECONDS as number,
      capSeconds: e.RETRY_CAP_SECONDS as number,
      maxReceiveCount: e.MAX_RECEIVE_COUNT as number,
      windowSeconds: e.RETRY_WINDOW_SECONDS as number,
    },
    minIntervalMs: e.MIN_INTERVAL_MS as number,
    sqs: sqsOf(e as unknown as z.infer<typeof sqsSchema>),
    ...(store ? { store } : {}),
    ...(wording ? { wording } : {}),
    ...(quiet ? { quiet } : {}),
  };
}

/** The provider a worker function serves, from PROVIDER (set per function by lib/infra). */
export function providerFromEnv(env: Env): Provider {
  const p = providerById(env.PROVIDER ?? '');
  if (!p) throw new ConfigError(`PROVIDER: must be one of ${PROVIDER_IDS.join(', ')}`);
  return p;
}
