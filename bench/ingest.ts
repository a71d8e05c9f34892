// Ingest handler (middy + zod + routing + SendMessage) vs the bare SendMessage it has to make: the
// same body, correlation-id attribute and deadline, through the same emulator. The ratio is what
// the handler adds around its one SQS call.
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createSqsClient, messageGroupId } from '../lib/aws/queue';
import { startEmulator } from '../lib/local/emulator';
import { fixtures } from '../test/helpers/fixtures';
import { interleaved, percentile, row } from './stats';

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
console.log(
  JSON.stringify([
    row(`ingest handler p50 (n=${N}) vs raw SendMessage`, percentile(a, 50), percentile(b, 50), 'ms', 1.1),
    row(`ingest handler p99 (n=${N}) vs raw SendMessage`, percentile(a, 99), percentile(b, 99), 'ms', 1.1),
  ]),
);
sqs.destroy();
await emulator.close();
