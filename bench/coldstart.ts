// What Flagger waits for on a cold ingest: a fresh process loads the bundle, reads its token from
// SSM, checks its configuration and answers its first event with one SendMessage. The baseline is
// an empty handler's first SendMessage from a fresh process. SSM and SQS are loopback stand-ins.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../lib/aws/queue';
import { startEmulator } from '../lib/local/emulator';
import { startFakeSsm } from '../test/helpers/fake-ssm';
import { fixtureLines } from '../test/helpers/fixtures';
import { lambdaBundle } from './lambda-bundle';
import { percentile, row } from './stats';

const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'bench-coldstart-'));
const TOKEN = 'bench-token-0123456789abcdef';
const emulator = await startEmulator(0, 'us-east-1');
const ssm = await startFakeSsm({ '/flagger-notify/bench/ingest-token': TOKEN });
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
/** One fresh process: require the bundle, answer one event; ms from before require to the answer. */
const run = promisify(execFile);
const coldMs = async (file: string) => {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)}).handler(${JSON.stringify(event)},{functionName:'ingest',awsRequestId:'r',getRemainingTimeInMillis:()=>10000}).then((r)=>{if(r.statusCode!==202)throw new Error('answered '+r.statusCode+' '+r.body);console.log(Number(process.hrtime.bigint()-t)/1e6);process.exit(0)})`;
  // Asynchronously: the SQS and SSM stand-ins answer from this process's event loop.
  return run(process.execPath, ['-e', script], { env, encoding: 'utf8' }).then((r) =>
    Number(r.stdout.trim().split('\n').at(-1)),
  );
};
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < 15; i++) {
  b.push(await coldMs(empty));
  a.push(await coldMs(ingest));
}
console.log(
  JSON.stringify([
    row(
      'ingest cold start to first 202 (load, SSM token, config, first SendMessage; median of 15) vs empty handler’s first SendMessage',
      percentile(a, 50),
      percentile(b, 50),
      'ms',
    ),
  ]),
);
sqs.destroy();
await ssm.close();
await emulator.close();
