// Worker delivery (parse, classify, format, pace, POST, batch bookkeeping) vs a raw undici POST
// of the same, already formatted payload to the same loopback webhook.
import { request as httpRequest } from 'node:http';
import type { Context, SQSEvent } from 'aws-lambda';
import { request } from 'undici';
import { parseQueuedBody } from '../lib/aws/queue';
import { postJson } from '../lib/delivery/http';
import type { FlaggerEvent } from '../lib/event/event';
import { formatSlack, slack } from '../lib/providers/slack';
import { fixtures } from '../test/helpers/fixtures';
import { answer, destination, startReceiver } from '../test/helpers/receiver';
import { workerFor } from '../test/helpers/worker';
import { interleaved, type Ladder, percentile, row, stepRows } from './stats';

const N = 2000;
const rx = await startReceiver(answer(200, 'ok'));
const url = rx.url('/services/T/B/x');
// Production timing; the retry settings never come into play (the receiver always answers 200).
const dest = destination(slack, url);
const handler = workerFor(slack, dest, {
  timeoutMs: 10_000,
  retry: { baseSeconds: 2, capSeconds: 900, maxReceiveCount: 24, windowSeconds: 7200 },
});
const event = fixtures.find((e) => e.metadata.eventMessage.startsWith('Halt checkout')) as FlaggerEvent;
const queuedBody = () => JSON.stringify({ v: 1, receivedAt: new Date().toISOString(), event });
const sqsEvent = (i: number): SQSEvent => ({
  Records: [
    {
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: queuedBody(),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: '0',
        MessageGroupId: 'shop/checkout',
      },
      messageAttributes: {
        correlationId: {
          dataType: 'String',
          stringValue: `c${i}`,
          stringListValues: [],
          binaryListValues: [],
        },
      },
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q.fifo',
      awsRegion: 'us-east-1',
    },
  ],
});
const ctx = { functionName: 'slack', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as Context;
const formatted = formatSlack(event);
const payload = JSON.stringify(formatted);

const subject = async (i: number) => {
  const res = await handler(sqsEvent(i), ctx);
  if (res.batchItemFailures.length) throw new Error('delivery failed');
};
// The same POST over node:http, the transport the worker uses: what is left is the worker's own work.
const rawHttp = (deadline = false) =>
  new Promise<void>((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) },
        ...(deadline ? { signal: AbortSignal.timeout(10_000) } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
const raw = async () => {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: payload,
  });
  await res.body.text();
};

await interleaved(200, subject, raw);
const { subject: a, baseline: b } = await interleaved(N, subject, raw);
const { subject: c, baseline: d } = await interleaved(N, subject, () => rawHttp());

// Where the worker's time goes: each step adds one layer of what it must do, each against the
// target's baseline (undici), interleaved anew; the full handler then adds the batch handling.
const send = { timeoutMs: 10_000, moreInGroup: false };
const ladder: Ladder = [
  ['node:http POST with a 10 s deadline', () => rawHttp(true)],
  [
    'postJson (deadline, answer read and classified)',
    () => postJson(url, formatted, { timeoutMs: 10_000, label: 'slack' }),
  ],
  [
    '+ formatting (the provider’s send)',
    (i) => dest.sender.send(event, { ...send, messageId: `m${i}`, eventId: `m${i}` }),
  ],
  [
    '+ validating the queued body',
    (i) =>
      dest.sender.send(parseQueuedBody(queuedBody()).event, {
        ...send,
        messageId: `m${i}`,
        eventId: `m${i}`,
      }),
  ],
];
const steps = await stepRows(N, (name) => `worker step: ${name}, p50 vs raw undici POST`, ladder, raw);
console.log(
  JSON.stringify([
    row(`worker delivery p50 (n=${N}) vs raw undici POST`, percentile(a, 50), percentile(b, 50), 'ms', 1.2),
    row(`worker delivery p99 (n=${N}) vs raw undici POST`, percentile(a, 99), percentile(b, 99), 'ms', 1.2),
    row(`worker delivery p50 (n=${N}) vs raw node:http POST`, percentile(c, 50), percentile(d, 50), 'ms'),
    row(`worker delivery p99 (n=${N}) vs raw node:http POST`, percentile(c, 99), percentile(d, 99), 'ms'),
    ...steps,
  ]),
);
await rx.close();
process.exit(0);
