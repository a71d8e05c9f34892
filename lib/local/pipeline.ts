import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { createSqsClient } from '../aws/queue';
import { workerHandler } from '../config/worker';
import { type Delivered, deliveries } from '../delivery/http';
import { intEnv, intFromEnv, optionalEnv, parseEnv } from '../env';
import { ConfigError } from '../errors';
import { SERVICE } from '../infra/names';
import { isProviderId, PROVIDERS } from '../providers/catalog';
import { DLQ_ENV, queueEnv } from '../providers/provider';
import { hostOf } from '../redact';
import { loadRouting } from '../routing/config';
import { createDynamoClient } from '../stores/dynamo';
import { banner } from './banner';
import { ensureStateTable, startDynalite } from './dynamo';
import { startEmulator } from './emulator';
import { type HttpHandler, startHttpApi } from './http';
import { createInbox } from './inbox';
import { anyProviderConfigured, serveInbox, useStandIns } from './inbox-server';
import { lambdaContext, type Poller, type SqsHandler, startPoller } from './poller';
import { createQueues } from './queues';
import { localServiceDef } from './serverless-config';
import { serveLocalTools } from './tools';

const localEnv = z.object({
  // 0 picks a free port (tests).
  PORT: intEnv(3000, 0, 65535),
  SQS_PORT: intEnv(9324, 0, 65535),
  DYNAMODB_PORT: intEnv(0, 0, 65535),
  LOCAL_STATUS_SECONDS: intEnv(15, 1, 3600),
  SQS_ENDPOINT: optionalEnv(z.url({ protocol: /^https?$/ })),
  AWS_REGION: z._default(z.string(), 'us-east-1'),
  LOCAL_VISIBILITY_TIMEOUT: optionalEnv(intFromEnv(0, 43_200)),
  LOCAL_MAX_RECEIVE_COUNT: optionalEnv(intFromEnv(1, 1000)),
});

export interface PipelineOptions {
  log?: (line: string) => void;
  /** Fault injection for tests: wrap a worker's handler (e.g. to crash it mid-batch). */
  wrapWorker?: (provider: string, handler: SqsHandler) => SqsHandler;
}

export interface Pipeline {
  ingestUrl: string;
  sqsEndpoint: string;
  providers: { id: string; queueUrl: string }[];
  /** Accepted events still in the queues (undelivered, or waiting for a retry). */
  backlog(): Promise<number>;
  stop(): Promise<void>;
}

/** A server's start, with a taken port said as the variable that moves it. */
async function portOf<T>(variable: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    throw new ConfigError(
      `port ${port} on 127.0.0.1 is taken (${variable}): set ${variable} to a free port, e.g. ${variable}=${port + 1} npm start (0 picks any free one)`,
    );
  }
}

/**
 * The whole relay on 127.0.0.1: SQS emulator, queues from serverless.yml, the ingest handler behind
 * an HTTP API look-alike and one poller per active provider invoking the same worker handler.
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
    const embeddedSqs = !endpoint;
    if (!endpoint) {
      const emulator = await portOf('SQS_PORT', env.SQS_PORT, () =>
        startEmulator(env.SQS_PORT, env.AWS_REGION),
      );
      stops.push(emulator.close);
      endpoint = emulator.endpoint;
    }
    process.env.SQS_ENDPOINT = endpoint;
    const sqs = createSqsClient({ region: env.AWS_REGION, endpoint }, 25_000);
    stops.push(async () => sqs.destroy());

    // Rollout state and mute windows: dynalite on loopback unless DYNAMODB_ENDPOINT names another.
    const embeddedState = !process.env.DYNAMODB_ENDPOINT;
    if (embeddedState) {
      const dynamo = await portOf('DYNAMODB_PORT', env.DYNAMODB_PORT, () => startDynalite(env.DYNAMODB_PORT));
      process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
      stops.push(async () => {
        // Gone with this pipeline: the next one in this process starts its own.
        delete process.env.DYNAMODB_ENDPOINT;
        await dynamo.close();
      });
    }
    process.env.STATE_TABLE ||= `${SERVICE}-local-state`;
    const db = createDynamoClient(env.AWS_REGION, process.env.DYNAMODB_ENDPOINT);
    await ensureStateTable(db, process.env.STATE_TABLE);
    db.destroy();

    // The queues and workers a deploy would have for every provider, from the same generator.
    const service = localServiceDef(resolve(root, 'serverless.yml'));
    const queues = await createQueues(sqs, service.queues, {
      visibilityTimeout: env.LOCAL_VISIBILITY_TIMEOUT,
    });

    // The HTTP side first: the inbox's stand-ins live on the ingest port, and the workers need
    // their URLs. Ingest's handler is bound once the workers' environment is complete.
    const ingest = service.functions.find((f) => f.http?.some((h) => h.method === 'POST'));
    if (!ingest?.http) throw new Error('serverless.yml has no httpApi function');
    // The rollout pages: signed with a secret of this run unless LINK_SECRET is set, and served
    // on the ingest port, where the messages' links point.
    process.env.LINK_SECRET ||= randomBytes(32).toString('base64url');
    // Clicks in the inbox are signed with it as Slack signs them (lib/local/inbox-server.ts).
    process.env.SLACK_SIGNING_SECRET ||= randomBytes(24).toString('base64url');
    // The API's other functions (rollout pages, gates, Slack clicks), each on its own routes,
    // loaded on their first request as Lambda does: their cold start then sees the stand-ins'
    // environment, which is set once the server below has its port.
    const others = service.functions
      .filter((f) => f.http && f !== ingest)
      .map((f) => {
        let loaded: Promise<HttpHandler> | undefined;
        const load = () => {
          loaded ??= import(pathToFileURL(resolve(root, `${f.module}.ts`)).href).then(
            (m) => m[f.exportName] as HttpHandler,
          );
          return loaded;
        };
        return {
          paths: (f.http ?? []).map((h) => h.path),
          functionName: f.name,
          handler: (async (e, c) => (await load())(e, c)) as HttpHandler,
        };
      });
    let ingestHandler: HttpHandler | undefined;
    const inbox = createInbox();
    stops.push(async () => inbox.close());
    const paths = ingest.http.map((h) => h.path);
    const http: Awaited<ReturnType<typeof startHttpApi>> = await portOf('PORT', env.PORT, () =>
      startHttpApi({
        port: env.PORT,
        paths,
        functionName: ingest.name,
        handler: (e, c) => (ingestHandler as HttpHandler)(e, c),
        others,
        extra: async (req, res, path) =>
          (await serveLocalTools(req, res, path, {
            env: process.env,
            digestNow: async () => {
              const status = await import(pathToFileURL(resolve(root, 'functions/status.ts')).href);
              return (status.handler as (e: unknown, c: Context) => Promise<unknown>)(
                { digest: 'now' },
                lambdaContext('status', 60_000),
              );
            },
          })) ||
          serveInbox(
            inbox,
            root,
            req,
            res,
            path,
            (): string => http.url,
            () => providers.map((p) => p.id).filter(isProviderId),
          ),
      }),
    );
    stops.push(http.close);
    const standIns = `http://127.0.0.1:${http.port}/inbox/`;
    process.env.PUBLIC_URL ||= `http://127.0.0.1:${http.port}`;
    const standing = !anyProviderConfigured();
    if (standing) useStandIns(standIns.slice(0, -1));
    // Deliveries to configured destinations are mirrored on the page too (the stand-ins keep theirs).
    const mirror = (d: unknown) => {
      if (!(d as Delivered).url.startsWith(standIns)) inbox.mirror(d as Delivered);
    };
    deliveries.subscribe(mirror);
    stops.push(async () => deliveries.unsubscribe(mirror));

    const routing =
      process.env.CONFIG || process.env.CONFIG_FILE
        ? await loadRouting(
            process.env,
            PROVIDERS.map((p) => p.id),
          )
        : undefined;
    const providers: Pipeline['providers'] = [];
    const sending: { id: string; target: string }[] = [];
    const coldStarts: Promise<string | undefined>[] = [];
    for (const provider of PROVIDERS) {
      const { id } = provider;
      const fn = service.functions.find((f) => f.name === id && f.sqs);
      const q = fn?.sqs && queues.get(fn.sqs.queue);
      const redrive = service.queues.find((d) => d.logicalId === fn?.sqs?.queue)?.redrive;
      const dlq = redrive ? queues.get(redrive.dlq) : undefined;
      if (!fn || !q || !dlq) throw new Error(`no SQS-triggered function "${id}" with a DLQ was generated`);
      // With a routing file a provider is on when a destination has its type; else when its URL is set.
      // Named by host only: the URL (or token) that turns a provider on is a secret.
      const urlVar = provider.env.url ?? provider.env.apiUrl;
      const on = process.env[provider.on];
      const host =
        urlVar && process.env[urlVar] ? hostOf(process.env[urlVar] as string) : provider.allowedHosts[0];
      const routed = routing && Object.values(routing.destinations).filter((d) => d.type === id);
      const target = routed ? routed.map((d) => d.name).join(', ') : on && host;
      if (!target) {
        delete process.env[queueEnv(id)];
        continue;
      }
      // What the generated function gets in AWS, pointed at the local queues.
      process.env[queueEnv(id)] = q.url;
      process.env[DLQ_ENV] = dlq.url;
      process.env.MAX_RECEIVE_COUNT = String(env.LOCAL_MAX_RECEIVE_COUNT ?? redrive?.maxReceiveCount);
      providers.push({ id, queueUrl: q.url });
      // One process serves every provider: the handler is built per provider rather than read
      // from PROVIDER as functions/worker.ts does in Lambda.
      // One execution environment per concurrent batch the mapping allows, as Lambda runs them:
      // each with its own cold start and memory (pacing, the batch's remembered records).
      const environments = Array.from({ length: fn.sqs?.maximumConcurrency ?? 1 }, () =>
        workerHandler(provider),
      );
      // Each worker's cold start (secrets, every destination checked by its provider) must
      // succeed before ingest accepts anything: otherwise events would wait for a worker that
      // can never send them.
      coldStarts.push(
        (environments[0] as (typeof environments)[number]).ready().then(
          () => undefined,
          (err: unknown) => `${id}: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
      const handlers = environments.map((w) =>
        opts.wrapWorker ? opts.wrapWorker(id, w as SqsHandler) : (w as SqsHandler),
      );
      const poller: Poller = startPoller({
        sqs,
        queue: q,
        region: env.AWS_REGION,
        functionName: fn.name,
        handler: handlers,
        batchSize: fn.sqs?.batchSize ?? 10,
        // The function's own timeout, as Lambda gives it: a batch is sized to fit it.
        timeoutMs: (fn.timeout ?? 60) * 1000,
        waitSeconds: 1,
        onError: (err) => log(`[local] ${id} poller: ${err instanceof Error ? err.message : String(err)}`),
      });
      stops.push(poller.stop);
      sending.push({ id, target });
    }

    const unusable = (await Promise.all(coldStarts)).filter(Boolean);
    if (unusable.length)
      throw new ConfigError(
        `no worker could deliver to ${unusable.length === 1 ? 'this destination' : 'these destinations'}, so no event is accepted:\n  ${unusable.join('\n  ')}`,
      );

    // The scheduled status function (every minute deployed), on a short interval here so a local
    // Alertmanager sees alerts fire, refresh and resolve.
    process.env.CHANNELS ||= providers.map((p) => p.id).join(',');
    const status = await import(pathToFileURL(resolve(root, 'functions/status.ts')).href);
    const timer = setInterval(() => {
      (status.handler as (e: unknown, c: Context) => Promise<unknown>)(
        {},
        lambdaContext('status', 60_000),
      ).catch((err: unknown) => log(`[local] status: ${err instanceof Error ? err.message : String(err)}`));
    }, env.LOCAL_STATUS_SECONDS * 1000);
    timer.unref();
    stops.push(async () => clearInterval(timer));

    const mod = await import(pathToFileURL(resolve(root, `${ingest.module}.ts`)).href);
    ingestHandler = mod[ingest.exportName] as HttpHandler;
    log(
      banner({
        port: http.port,
        tokenRequired: Boolean(process.env.INGEST_TOKEN),
        sqs: { endpoint, embedded: embeddedSqs, queues: service.queues.length },
        state: {
          endpoint: process.env.DYNAMODB_ENDPOINT ?? '',
          embedded: embeddedState,
          table: process.env.STATE_TABLE,
        },
        sending,
        standIns: standing,
        off: PROVIDERS.filter((p) => !providers.some((q) => q.id === p.id)).map((p) => p.id),
        offReason: routing
          ? `no destination of that type in ${routing.source}`
          : 'set their webhook URL variables to turn them on',
        onVariables: PROVIDERS.map((p) => p.on),
      }),
    );
    const backlog = async () => {
      let n = 0;
      for (const p of providers) {
        const { Attributes: a = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: p.queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        n +=
          Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
      }
      return n;
    };
    return { ingestUrl: http.url, sqsEndpoint: endpoint, providers, backlog, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
