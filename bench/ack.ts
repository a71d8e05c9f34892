// Flagger waits for the ack: flagger-notify's ingest vs a naive handler that posts to Slack before
// answering, each with destinations that answer at once and ones that take 5 s. Then end-to-end
// throughput and latency through the whole local pipeline.
import type { ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { postJson } from '../lib/delivery/http';
import type { FlaggerEvent } from '../lib/event/event';
import { startHttpApi } from '../lib/local/http';
import { startPipeline } from '../lib/local/pipeline';
import { formatSlack } from '../lib/providers/slack';
import { fixtures } from '../test/helpers/fixtures';
import { startReceiver } from '../test/helpers/receiver';
import { info, percentile, row, targetRow } from './stats';

const SLOW_MS = 5000;
let delay = 0;
const arrivals = new Map<string, number>();
const rx = await startReceiver((req, res: ServerResponse) => {
  const key = req.body.match(/bench-(\d+)/)?.[1];
  if (key && !arrivals.has(key)) arrivals.set(key, Date.now());
  setTimeout(() => {
    res.writeHead(200);
    res.end('ok');
  }, delay);
});

Object.assign(process.env, {
  PORT: '0',
  SQS_PORT: '0',
  SLACK_WEBHOOK_URL: rx.url('/slack'),
  TEAMS_WEBHOOK_URL: rx.url('/teams'),
  // Pacing is Slack's rule, not the pipeline's speed: off, to measure the pipeline itself.
  MIN_INTERVAL_MS: '0',
  // Every event is delivered (not only milestones): the throughput of the delivery path itself.
  EVENTS: 'all',
});
const pipeline = await startPipeline(resolve(import.meta.dirname, '..'), { log: () => {} });

let seq = 0;
const base = fixtures[0] as FlaggerEvent;
const eventBody = (canary = 'podinfo') => {
  const n = seq++;
  return JSON.stringify({
    ...base,
    name: canary,
    metadata: { ...base.metadata, eventMessage: `bench-${n} weight`, timestamp: String(Date.now()) },
  });
};
const post = async (url: string, body: string) => {
  const t = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - t;
};
const sequential = async (url: string, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await post(url, eventBody()));
  return out;
};

// What a user would write without a queue: post to Slack, then answer Flagger.
const naive = await startHttpApi({
  port: 0,
  paths: ['/events'],
  functionName: 'naive',
  handler: async (e: APIGatewayProxyEventV2) => {
    const event = JSON.parse(Buffer.from(e.body ?? '', 'base64').toString()) as FlaggerEvent;
    await postJson(rx.url('/slack'), formatSlack(event), { timeoutMs: 10_000, label: 'slack' });
    return { statusCode: 202, body: '{}' };
  },
});

await sequential(pipeline.ingestUrl, 100); // warm-up
const ackFast = await sequential(pipeline.ingestUrl, 300);
const naiveFast = await sequential(naive.url, 300);
delay = SLOW_MS;
const ackSlow = await sequential(pipeline.ingestUrl, 300);
// Sequentially this would take 20 × 5 s; Flagger's loop waits the same either way.
const naiveSlow = await Promise.all(Array.from({ length: 20 }, () => post(naive.url, eventBody())));
delay = 0;
// Let the slow deliveries drain before measuring throughput.
const drainUntil = Date.now() + 60_000;
while (arrivals.size < seq - 20 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));

// End to end: a burst of 500 events over 10 canaries, from BURST_CLIENTS senders at once (a
// fleet's Flaggers), each posting its next as soon as ingest answers the last.
const N = 500;
const BURST_CLIENTS = 20;
arrivals.clear();
const sent = new Map<string, number>();
const t0 = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: BURST_CLIENTS }, async () => {
    while (next < N) {
      const i = next++;
      const key = String(seq);
      const body = eventBody(`canary-${i % 10}`);
      sent.set(key, Date.now());
      await post(pipeline.ingestUrl, body);
    }
  }),
);
const e2eUntil = Date.now() + 90_000;
while ([...sent.keys()].some((k) => !arrivals.has(k)) && Date.now() < e2eUntil)
  await new Promise((r) => setTimeout(r, 20));
const delivered = [...sent.keys()].filter((k) => arrivals.has(k));
const latencies = delivered.map((k) => (arrivals.get(k) as number) - (sent.get(k) as number));
const span = (Math.max(...delivered.map((k) => arrivals.get(k) as number)) - t0) / 1000;

console.log(
  JSON.stringify([
    row(
      `ingest ack p99, destinations ${SLOW_MS / 1000} s slow vs instant`,
      percentile(ackSlow, 99),
      percentile(ackFast, 99),
      'ms',
      1.2,
    ),
    row(
      `naive direct-post handler ack p99, ${SLOW_MS / 1000} s slow vs instant`,
      percentile(naiveSlow, 99),
      percentile(naiveFast, 99),
      'ms',
    ),
    targetRow(
      `end-to-end throughput, local pipeline (burst of ${N} events from ${BURST_CLIENTS} senders, 10 canaries, 2 channels, every event; ${delivered.length}/${N} delivered)`,
      delivered.length / span,
      'events/s',
      330,
      true,
    ),
    targetRow(
      'end-to-end latency p50 under that burst, POST → Slack receiver',
      percentile(latencies, 50),
      'ms',
      100,
    ),
    info('end-to-end latency p99 under that burst', `${percentile(latencies, 99).toFixed(0)} ms`),
    info(
      'peak memory (RSS) of the whole local pipeline in one process',
      `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    ),
  ]),
);
await naive.close();
await pipeline.stop();
await rx.close();
process.exit(0);
