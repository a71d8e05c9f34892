// Ingest handler (middy + zod + routing + SendMessage) vs the bare SendMessage it has to make: the
// same body, correlation-id attribute and deadline, through the same emulator. The ratio is what
// the handler adds around its one SQS call.
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createSqsClient, enqueue, messageGroupId } from '../lib/aws/queue';
import { loadIngestConfig } from '../lib/config/config';
import { type FlaggerEvent, parseFlaggerEvent } from '../lib/event/event';
import { eventIdentity } from '../lib/event/identity';
import { handleIngest, type IngestDeps } from '../lib/ingest/ingest';
import { startEmulator } from '../lib/local/emulator';
import { routeEvent } from '../lib/routing/route';
import { fixtures } from '../test/helpers/fixtures';
import { interleaved, type Ladder, percentile, row, stepRows } from './stats';

const N = 2000;
const emulator = await startEmulator(0, 'us-east-1');
const sqs = createSqsClient({ region: 'us-east-1', endpoint: emulator.endpoint });
const { QueueUrl } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'bench.fifo', Attributes: { FifoQueue: 'true' } }),
);
Object.assign(process.env, {
  SQS_ENDPOINT: emulator.endpoint,
  SLACK_QUEUE_URL: QueueUrl,
  CHANNELS: 'slack',
  STAGE: 'local',
});
const { handler } = await import('../functions/ingest');

const base = fixtures[0];
// Every event distinct, so SQS deduplication never short-cuts either side.
const eventN = (i: number) => ({
  ...base,
  metadata: { ...base?.metadata, eventMessage: `Advance podinfo.test canary weight ${i}` },
});
const httpEvent = (i: number) =>
  ({
    version: '2.0',
    routeKey: 'POST /events',
    rawPath: '/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { requestId: `r${i}`, http: { method: 'POST', path: '/events' } },
    body: JSON.stringify(eventN(i)),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;
const ctx = { functionName: 'ingest', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as Context;

const subject = async (i: number) => {
  const res = (await handler(httpEvent(i), ctx)) as { statusCode: number };
  if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}`);
};
const raw = async (i: number) => {
  const e = eventN(i + 1_000_000);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody: JSON.stringify({ v: 1, receivedAt: new Date().toISOString(), event: e }),
      MessageGroupId: messageGroupId('slack', { namespace: 'test', name: 'podinfo' }),
      MessageDeduplicationId: `raw-${i}`,
      MessageAttributes: { correlationId: { DataType: 'String', StringValue: `raw-${i}` } },
    }),
    { abortSignal: AbortSignal.timeout(5000) },
  );
};

await interleaved(
  200,
  (i) => subject(N + i),
  (i) => raw(N + i),
); // warm-up
const { subject: a, baseline: b } = await interleaved(N, subject, raw);

// Where ingest's time goes: each step adds one layer of what it must do, each against the same
// raw SendMessage. Validation and routing alone take most of the 1.10× budget.
const config = await loadIngestConfig(process.env);
const deps: IngestDeps = {
  config,
  enqueue: (t, e, meta) => enqueue(sqs, t.queueUrl, t.destination, e, meta),
};
const queue = (e: FlaggerEvent, i: number) =>
  enqueue(sqs, QueueUrl as string, 'slack', e, {
    receivedAt: new Date(),
    correlationId: `s${i}`,
    id: eventIdentity(e),
  });
const ladder: Ladder = [
  ['enqueue (event identity, ASCII-safe body)', (i) => queue(eventN(2 * N + i) as FlaggerEvent, i)],
  [
    '+ JSON.parse, validation, routing',
    (i) => {
      const parsed = parseFlaggerEvent(JSON.parse(httpEvent(3 * N + i).body as string));
      if (!parsed.ok) throw new Error(parsed.errors.join('; '));
      routeEvent(parsed.event, config.routing);
      return queue(parsed.event, i);
    },
  ],
  [
    '+ the rest of the request (method, token, type, size, decoding, log line)',
    (i) => {
      const e = httpEvent(4 * N + i);
      return handleIngest(
        { id: `s${i}`, method: 'POST', headers: e.headers, query: {}, body: Buffer.from(e.body as string) },
        deps,
      );
    },
  ],
];
// Fresh dedup ids for every step's baseline, or SQS would drop the repeats.
const steps = await stepRows(
  N,
  (name) => `ingest step: ${name}, p50 vs raw SendMessage`,
  ladder,
  (i, k) => raw((5 + k) * N + i),
);
console.log(
  JSON.stringify([
    row(`ingest handler p50 (n=${N}) vs raw SendMessage`, percentile(a, 50), percentile(b, 50), 'ms', 1.1),
    row(`ingest handler p99 (n=${N}) vs raw SendMessage`, percentile(a, 99), percentile(b, 99), 'ms', 1.1),
    ...steps,
  ]),
);
sqs.destroy();
await emulator.close();
