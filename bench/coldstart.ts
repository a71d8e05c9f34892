// What Flagger waits for on a cold ingest: a fresh process loads the bundle, reads its token from
// SSM, checks its configuration and answers its first event with one SendMessage. The baseline is
// an empty handler's first SendMessage from a fresh process. And a worker's cold start at
// scale-out: load, its webhook URL from SSM, its first delivery (the rollout state read and
// written as deployed), against an empty handler's first POST. SSM, SQS, DynamoDB and the
// platform are loopback stand-ins.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../lib/aws/queue';
import { ensureStateTable, startDynalite } from '../lib/local/dynamo';
import { startEmulator } from '../lib/local/emulator';
import { createDynamoClient } from '../lib/stores/dynamo';
import { startFakeSsm } from '../test/helpers/fake-ssm';
import { fixtureLines } from '../test/helpers/fixtures';
import { answer, startReceiver } from '../test/helpers/receiver';
import { lambdaBundle } from './lambda-bundle';
import { percentile, row } from './stats';

const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'bench-coldstart-'));
const TOKEN = 'bench-token-0123456789abcdef';
const emulator = await startEmulator(0, 'us-east-1');
const rx = await startReceiver(answer(200, 'ok'));
const ssm = await startFakeSsm({
  '/flagger-notify/bench/ingest-token': TOKEN,
  '/flagger-notify/bench/slack-webhook-url': rx.url('/services/T/B/x'),
});
const dynamo = await startDynalite();
const db = createDynamoClient('us-east-1', dynamo.endpoint);
await ensureStateTable(db, 'bench-state');
db.destroy();
const sqs = createSqsClient({ region: 'us-east-1', endpoint: emulator.endpoint });
const { QueueUrl } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'coldstart.fifo', Attributes: { FifoQueue: 'true' } }),
);

const bundle = (entry: string, name: string) => lambdaBundle(entry, out, name);
const emptyEntry = join(out, 'empty.ts');
writeFileSync(
  emptyEntry,
  `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({ endpoint: process.env.SQS_ENDPOINT });
export const handler = async () => {
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.SLACK_QUEUE_URL, MessageBody: process.env.BODY,
    MessageGroupId: 'g', MessageDeduplicationId: String(process.hrtime.bigint()) }));
  return { statusCode: 202 };
};
`,
);
const empty = await bundle(emptyEntry, 'empty');
const ingest = await bundle(join(root, 'functions/ingest.ts'), 'ingest');

const body = fixtureLines[0] as string;
const event = {
  version: '2.0',
  routeKey: 'POST /events',
  rawPath: '/events',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
  requestContext: { requestId: 'cold', http: { method: 'POST', path: '/events' } },
  body,
  isBase64Encoded: false,
};
const env = {
  ...process.env,
  NODE_PATH: join(root, 'node_modules'),
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL_SQS: emulator.endpoint,
  SQS_ENDPOINT: emulator.endpoint,
  SSM_ENDPOINT: ssm.endpoint,
  SLACK_QUEUE_URL: QueueUrl,
  CHANNELS: 'slack',
  STAGE: 'bench',
  INGEST_TOKEN_PARAM: '/flagger-notify/bench/ingest-token',
  // Deployed functions look for a routing file in SSM too; there is none here, as in a zero-config deploy.
  CONFIG_PARAM: '/flagger-notify/bench/config',
  BODY: body,
};
/**
 * One fresh process: require the bundle, hand it one event; ms from before require to its answer,
 * which `ok` checks (a JavaScript expression over `r`).
 */
const run = promisify(execFile);
const coldMs = async (file: string, input: unknown, ok: string, childEnv: NodeJS.ProcessEnv) => {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)}).handler(${JSON.stringify(input)},{functionName:'bench',awsRequestId:'r',getRemainingTimeInMillis:()=>300000}).then((r)=>{if(!(${ok}))throw new Error('answered '+JSON.stringify(r));console.log(Number(process.hrtime.bigint()-t)/1e6);process.exit(0)})`;
  // Asynchronously: the stand-ins answer from this process's event loop.
  return run(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8' }).then((r) =>
    Number(r.stdout.trim().split('\n').at(-1)),
  );
};
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < 15; i++) {
  b.push(await coldMs(empty, event, 'r.statusCode===202', env));
  a.push(await coldMs(ingest, event, 'r.statusCode===202', env));
}

// The worker: Slack as deployed (URL from SSM, rollout state in DynamoDB, milestones by default),
// but on the local stage, which lets it post over plain http to the loopback receiver.
const emptyPostEntry = join(out, 'empty-post.ts');
writeFileSync(
  emptyPostEntry,
  `import { request } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
new SQSClient({});
export const handler = () => new Promise((resolve, reject) => {
  const req = request(process.env.POST_URL, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    res.resume();
    res.on('end', () => resolve({ batchItemFailures: [] }));
  });
  req.on('error', reject);
  req.end(process.env.BODY);
});
`,
);
const emptyPost = await bundle(emptyPostEntry, 'empty-post');
const worker = await bundle(join(root, 'functions/worker.ts'), 'worker');
const workerEnv = {
  ...env,
  STAGE: 'local',
  PROVIDER: 'slack',
  SLACK_WEBHOOK_URL_PARAM: '/flagger-notify/bench/slack-webhook-url',
  DLQ_URL: `${emulator.endpoint}/000000000000/coldstart-dlq.fifo`,
  STATE_TABLE: 'bench-state',
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  POST_URL: rx.url('/services/T/B/x'),
};
const record = (i: number) => ({
  Records: [
    {
      messageId: `cold-${i}`,
      receiptHandle: 'r',
      // A new rollout of its own each time: its first event is a milestone, so it is sent.
      body: JSON.stringify({
        v: 1,
        receivedAt: new Date().toISOString(),
        event: { ...JSON.parse(body), name: `podinfo-${i}` },
      }),
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: `slack/test/podinfo-${i}` },
      messageAttributes: {},
    },
  ],
});
const c: number[] = [];
const d: number[] = [];
const posts = rx.received.length;
for (let i = 0; i < 15; i++) {
  d.push(await coldMs(emptyPost, {}, 'r.batchItemFailures.length===0', workerEnv));
  c.push(await coldMs(worker, record(i), 'r.batchItemFailures.length===0', workerEnv));
}
if (rx.received.length - posts !== 30) throw new Error('a cold worker did not post');
console.log(
  JSON.stringify([
    row(
      'ingest cold start to first 202 (load, SSM token, config, first SendMessage; median of 15) vs empty handler’s first SendMessage',
      percentile(a, 50),
      percentile(b, 50),
      'ms',
      1.3,
    ),
    row(
      'slack worker cold start to first delivery (load, SSM URL, config, rollout state, POST; median of 15) vs empty handler’s first POST',
      percentile(c, 50),
      percentile(d, 50),
      'ms',
      1.5,
    ),
  ]),
);
await rx.close();
await dynamo.close();
sqs.destroy();
await ssm.close();
await emulator.close();
