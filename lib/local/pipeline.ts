import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod/mini';
import { createSqsClient } from '../aws/queue';
import { intEnv, intFromEnv, optionalEnv, parseEnv } from '../config/env';
import { CHANNEL_IDS } from '../providers/ids';
import { dlqEnv, queueEnv, webhookEnv } from '../providers/provider';
import { hostOf } from '../redact';
import { loadRouting } from '../routing/config';
import { startEmulator } from './emulator';
import { type HttpHandler, startHttpApi } from './http';
import { type Poller, type SqsHandler, startPoller } from './poller';
import { createQueues } from './queues';
import { readServiceDef } from './serverless-config';

const localEnv = z.object({
  // 0 picks a free port (tests).
  PORT: intEnv(3000, 0, 65535),
  SQS_PORT: intEnv(9324, 0, 65535),
  SQS_ENDPOINT: optionalEnv(z.url({ protocol: /^https?$/ })),
  AWS_REGION: z._default(z.string(), 'us-east-1'),
  LOCAL_VISIBILITY_TIMEOUT: optionalEnv(intFromEnv(0, 43_200)),
  LOCAL_MAX_RECEIVE_COUNT: optionalEnv(intFromEnv(1, 1000)),
});

export interface PipelineOptions {
  log?: (line: string) => void;
  /** Fault injection for tests: wrap a worker's handler (e.g. to crash it mid-batch). */
  wrapWorker?: (channel: string, handler: SqsHandler) => SqsHandler;
}

export interface Pipeline {
  ingestUrl: string;
  sqsEndpoint: string;
  channels: { id: string; queueUrl: string; dlqUrl: string }[];
  stop(): Promise<void>;
}

/**
 * The whole relay on 127.0.0.1: SQS emulator, queues from serverless.yml, the ingest handler behind
 * an HTTP API look-alike and one poller per active channel invoking the same worker handlers.
 * Handlers read their configuration at import, so `process.env` is completed before importing them.
 */
export async function startPipeline(root: string, opts: PipelineOptions = {}): Promise<Pipeline> {
  const log = opts.log ?? console.log;
  const env = parseEnv(localEnv, process.env, 'local');
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    let endpoint = env.SQS_ENDPOINT;
    if (!endpoint) {
      const emulator = await startEmulator(env.SQS_PORT, env.AWS_REGION);
      stops.push(emulator.close);
      endpoint = emulator.endpoint;
    }
    process.env.SQS_ENDPOINT = endpoint;
    const sqs = createSqsClient({ region: env.AWS_REGION, endpoint }, 25_000);
    stops.push(async () => sqs.destroy());

    const service = readServiceDef(resolve(root, 'serverless.yml'), 'local');
    const queues = await createQueues(sqs, service.queues, {
      visibilityTimeout: env.LOCAL_VISIBILITY_TIMEOUT,
    });

    const routing =
      process.env.CONFIG || process.env.CONFIG_FILE ? loadRouting(process.env, CHANNEL_IDS) : undefined;
    const channels: Pipeline['channels'] = [];
    const workers = service.functions.filter((f) => f.sqs);
    for (const id of CHANNEL_IDS) {
      const fn = workers.find((f) => f.name === id);
      const q = fn?.sqs && queues.get(fn.sqs.queue);
      const redrive = service.queues.find((d) => d.logicalId === fn?.sqs?.queue)?.redrive;
      const dlq = redrive ? queues.get(redrive.dlq) : undefined;
      if (!fn || !q || !dlq)
        throw new Error(`serverless.yml has no SQS-triggered function "${id}" with a DLQ`);
      // With a routing file a channel is on when a destination has its type; else when its URL is set.
      const url = process.env[webhookEnv({ id })];
      const routed = routing && Object.values(routing.destinations).filter((d) => d.type === id);
      const target = routed ? routed.map((d) => d.name).join(', ') : url && hostOf(url);
      if (!target) {
        log(
          `[local] ${id}: off — ${routing ? `no ${id} destination in ${routing.source}` : `set ${webhookEnv({ id })} to deliver to ${id}`}`,
        );
        delete process.env[queueEnv({ id })];
        continue;
      }
      // What serverless.yml gives the worker in AWS, pointed at the local queues.
      process.env[queueEnv({ id })] = q.url;
      process.env[dlqEnv({ id })] = dlq.url;
      process.env.MAX_RECEIVE_COUNT = String(env.LOCAL_MAX_RECEIVE_COUNT ?? redrive?.maxReceiveCount);
      channels.push({ id, queueUrl: q.url, dlqUrl: dlq.url });
      const mod = await import(pathToFileURL(resolve(root, `${fn.module}.ts`)).href);
      const handler = mod[fn.exportName] as SqsHandler;
      const poller: Poller = startPoller({
        sqs,
        queue: q,
        region: env.AWS_REGION,
        functionName: fn.name,
        handler: opts.wrapWorker ? opts.wrapWorker(id, handler) : handler,
        batchSize: fn.sqs?.batchSize ?? 10,
        waitSeconds: 1,
        onError: (err) => log(`[local] ${id} poller: ${err instanceof Error ? err.message : String(err)}`),
      });
      stops.push(poller.stop);
      log(`[local] ${id}: delivering to ${target} from ${q.name}`);
    }
    if (!channels.length) {
      log(
        `[local] no channel is on: events are accepted but go nowhere. Set ${CHANNEL_IDS.map((id) => webhookEnv({ id })).join(' and/or ')}.`,
      );
    }

    const ingest = service.functions.find((f) => f.http);
    if (!ingest?.http) throw new Error('serverless.yml has no httpApi function');
    const mod = await import(pathToFileURL(resolve(root, `${ingest.module}.ts`)).href);
    const http = await startHttpApi({
      port: env.PORT,
      paths: ingest.http.map((h) => h.path),
      functionName: ingest.name,
      handler: mod[ingest.exportName] as HttpHandler,
    });
    stops.push(http.close);
    log(`[local] ingest listening on ${http.url}${process.env.INGEST_TOKEN ? ' (token required)' : ''}`);
    return { ingestUrl: http.url, sqsEndpoint: endpoint, channels, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
