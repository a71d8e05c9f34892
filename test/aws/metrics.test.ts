import { describe, expect, it, vi } from 'vitest';
import { flushMetrics } from '../../lib/aws/metrics';
import { createWorker } from '../../lib/delivery/worker';
import { handleIngest } from '../../lib/ingest/ingest';
import { slack } from '../../lib/providers/slack';
import { loadRouting } from '../../lib/routing/config';
import { fixtureLines } from '../helpers/fixtures';
import { drain, queuePair, sendAndReceive } from '../helpers/queues';
import { answer, defaultDestinations, startReceiver } from '../helpers/receiver';
import { startSqs } from '../helpers/sqs';
import { captureJsonLines } from '../helpers/stdout';

// Metrics are on here (the suite default is off); Powertools reads the switch at import.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

type Emf = {
  _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] };
} & Record<string, unknown>;
const emitted = captureJsonLines<Emf>((line) => line.includes('"_aws"'));
const named = (name: string) =>
  emitted.filter((e) => e._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === name));

describe('CloudWatch metrics (EMF)', () => {
  // Ingest with no provider: its metrics, not its queues, are under test.
  const deps = async () => ({
    config: {
      tokens: [],
      providers: [],
      routing: await loadRouting({}, []),
      sqs: { region: 'x' },
    },
    enqueue: async () => {},
  });
  const req = { id: 'r', method: 'POST', headers: { 'content-type': 'application/json' }, query: {} };

  it('counts received and rejected events, the latter by reason', async () => {
    await handleIngest({ ...req, body: Buffer.from(fixtureLines[0] as string) }, await deps());
    // Undimensioned counts wait for the end of the invocation (functions/ingest flushes them).
    expect(named('EventsReceived')).toEqual([]);
    flushMetrics();
    await handleIngest({ ...req, body: Buffer.from('{') }, await deps());
    expect(named('EventsReceived').at(-1)).toMatchObject({ EventsReceived: 1, service: 'flagger-notify' });
    expect(named('EventsRejected').at(-1)).toMatchObject({ EventsRejected: 1, reason: 'json' });
    expect(named('EventsReceived').at(-1)?._aws.CloudWatchMetrics[0]?.Namespace).toBe('FlaggerNotify');
  });

  it('publishes Flagger’s CanaryStatus gauge (0/1/2) per canary on the events that change it, only those', async () => {
    const before = named('CanaryStatus').length;
    for (const l of fixtureLines.filter((x) => x.includes('"checkout"')))
      await handleIngest({ ...req, body: Buffer.from(l) }, await deps());
    const points = named('CanaryStatus').slice(before);
    // New revision → 0; "Rolling back" and "Canary failed!" → 2; progress and halts send nothing.
    expect(points.map((p) => [p.namespace, p.name, p.CanaryStatus])).toEqual([
      ['shop', 'checkout', 0],
      ['shop', 'checkout', 2],
      ['shop', 'checkout', 2],
    ]);
    expect(points[0]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'CanaryStatus', Unit: 'None' }]);
  });

  it('keeps one CanaryStatus series per cluster in a fleet: two clusters’ checkout.shop are two series', async () => {
    const before = named('CanaryStatus').length;
    const failed = fixtureLines.filter((x) => x.includes('"checkout"')).at(-1) as string;
    for (const cluster of ['prod-eu', 'prod-us'])
      await handleIngest({ ...req, query: { cluster }, body: Buffer.from(failed) }, await deps());
    const points = named('CanaryStatus').slice(before);
    expect(points.map((p) => [p.cluster, p.namespace, p.name, p.CanaryStatus])).toEqual([
      ['prod-eu', 'shop', 'checkout', 2],
      ['prod-us', 'shop', 'checkout', 2],
    ]);
  });

  it('is flushed by the ingest Lambda handler at the end of each invocation', async () => {
    vi.stubEnv('CHANNELS', '');
    const { handler } = await import('../../functions/ingest');
    const before = named('EventsReceived').length;
    const event = {
      requestContext: { requestId: 'r', http: { method: 'POST' } },
      headers: { 'content-type': 'application/json' },
      body: fixtureLines[0],
    };
    await handler(event as never, { getRemainingTimeInMillis: () => 1000 } as never);
    expect(named('EventsReceived').length).toBe(before + 1);
    vi.unstubAllEnvs();
  });

  it('records deliveries with their latency and end-to-end latency, retries and dead letters, per provider', async () => {
    const env = await startSqs();
    const rx = await startReceiver(answer(200, 'ok'));
    try {
      const { queue, dlq } = await queuePair(env);
      const config = {
        destinations: defaultDestinations(rx.url()),
        timeoutMs: 1000,
        queueUrl: queue.url,
        dlqUrl: dlq.url,
        retry: { baseSeconds: 1, capSeconds: 1, maxReceiveCount: 5, windowSeconds: 7200 },
        minIntervalMs: 0,
        sqs: { region: 'us-east-1' },
      };
      const ctx = { getRemainingTimeInMillis: () => 60_000 } as never;
      const handler = createWorker(slack, config, env.sqs);
      // Sent by Flagger a second ago: end-to-end latency is measured from its timestamp.
      const fresh = JSON.parse(fixtureLines[0] as string);
      fresh.metadata.timestamp = String(Date.now() - 1000);
      const body = JSON.stringify({ v: 1, receivedAt: new Date().toISOString(), event: fresh });
      await handler(await sendAndReceive(env, queue, [{ body, group: 'a' }]), ctx);
      // One EMF line per delivery: its count and both latencies, dimensioned by provider.
      const line = named('MessagesDelivered').at(-1);
      expect(line).toMatchObject({ MessagesDelivered: 1, provider: 'slack', service: 'flagger-notify' });
      expect(line?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
        { Name: 'MessagesDelivered', Unit: 'Count' },
        { Name: 'DeliveryLatency', Unit: 'Milliseconds' },
        { Name: 'EndToEndLatency', Unit: 'Milliseconds' },
      ]);
      expect(line?.EndToEndLatency).toBeGreaterThanOrEqual(1000);
      expect(line?.EndToEndLatency).toBeLessThan(60_000);
      expect(named('DeliveryLatency').at(-1)).toBe(line);

      rx.setBehaviour(answer(500));
      await handler(await sendAndReceive(env, queue, [{ body, group: 'b' }]), ctx);
      expect(named('DeliveryRetried').at(-1)).toMatchObject({ DeliveryRetried: 1, provider: 'slack' });

      rx.setBehaviour(answer(404, 'no_service'));
      await drain(env, queue, 2);
      await handler(await sendAndReceive(env, queue, [{ body, group: 'c' }]), ctx);
      expect(named('DeadLettered').at(-1)).toMatchObject({
        DeadLettered: 1,
        provider: 'slack',
        reason: 'permanent',
      });
    } finally {
      await rx.close();
      await env.close();
    }
  });
});
