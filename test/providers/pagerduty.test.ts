// PagerDuty: a failed canary triggers one incident (per canary and cluster), its next rollout or
// a success resolves it; each event at most once; 202 success, 400 permanent, 429 retried.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import type { FlaggerEvent } from '../../lib/event/event';
import { eventIdentity } from '../../lib/event/identity';
import { envDestination } from '../../lib/providers/destination';
import { pagerduty } from '../../lib/providers/pagerduty';
import { memoryRolloutStore } from '../../lib/rollouts/memory-store';
import { fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { answer, type Receiver, startReceiver } from '../helpers/receiver';

const KEY = 'R0UT1NGKEYSECRET0123456789abcdef';
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

function destination(url: string) {
  const store = memoryRolloutStore();
  const sender = pagerduty.create(
    envDestination(pagerduty, { PAGERDUTY_ROUTING_KEY: KEY, PAGERDUTY_URL: url }),
    {
      deployed: false,
      extraAllowedHosts: [],
      store,
    },
  );
  const send = (e: FlaggerEvent) =>
    sender.send(e, { timeoutMs: 2000, messageId: 'm', eventId: eventIdentity(e), moreInGroup: false });
  return { send, store };
}
const checkout = fixtures.filter((e) => e.name === 'checkout');
const later = (e: FlaggerEvent, ms: number): FlaggerEvent => ({
  ...e,
  metadata: { ...e.metadata, timestamp: String(Number(e.metadata.timestamp) + ms) },
});
const events = () =>
  (rx?.received ?? []).map(
    (r) => r.json as { event_action: string; dedup_key: string; payload?: { summary: string } },
  );

describe('PagerDuty (Events API v2)', () => {
  it('triggers one incident for a failed rollout, and resolves it when the canary rolls out again and succeeds', async () => {
    rx = await startReceiver(answer(202, '{"status":"success","message":"Event processed"}'));
    const pd = destination(rx.url('/v2/enqueue'));
    for (const e of checkout) await pd.send(e);
    // The same failure repeated, and a byte-identical resend: still one incident.
    await pd.send(checkout.at(-1) as FlaggerEvent);
    await pd.send(later(checkout.at(-1) as FlaggerEvent, 1000));
    expect(events().map((e) => e.event_action)).toEqual(['trigger']);
    expect(events()[0]).toMatchObject({
      dedup_key: 'flagger/shop/checkout',
      payload: { summary: expect.stringContaining('Canary checkout.shop failed'), severity: 'error' },
    });
    expect(rx.received[0]?.headers.authorization).toBeUndefined();
    // Ten minutes later, the next revision: the incident is over.
    await pd.send(later(checkout[0] as FlaggerEvent, 600_000));
    expect(events().map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(events()[1]?.dedup_key).toBe('flagger/shop/checkout');
  });

  it('keeps two clusters’ incidents for the same canary apart', async () => {
    rx = await startReceiver(answer(202, '{}'));
    const pd = destination(rx.url('/v2/enqueue'));
    const failed = checkout.at(-1) as FlaggerEvent;
    for (const cluster of ['prod-eu', 'prod-us'])
      await pd.send({ ...failed, metadata: { ...failed.metadata, cluster } });
    expect(events().map((e) => e.dedup_key)).toEqual([
      'flagger/prod-eu/shop/checkout',
      'flagger/prod-us/shop/checkout',
    ]);
  });

  it('dead-letters a 400 (an invalid event or routing key) at once, never quoting the key', async () => {
    rx = await startReceiver(answer(400, '{"status":"invalid event","message":"Event object is invalid"}'));
    const pd = destination(rx.url('/v2/enqueue'));
    const err = await pd.send(checkout.at(-1) as FlaggerEvent).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toContain('pagerduty Events API (127.0.0.1');
    expect((err as Error).message).not.toContain(KEY);
  });

  it('retries a 429 and sends the trigger again on the next try (nothing lost)', async () => {
    rx = await startReceiver((_req, res, n) => {
      res.writeHead(n === 1 ? 429 : 202);
      res.end('{}');
    });
    const pd = destination(rx.url('/v2/enqueue'));
    const failed = checkout.at(-1) as FlaggerEvent;
    expect(await pd.send(failed).catch((e: Error) => e)).toBeInstanceOf(RetryableDeliveryError);
    await pd.send(failed);
    expect(events().map((e) => e.event_action)).toEqual(['trigger', 'trigger']);
  });

  it('cuts the summary to PagerDuty’s 1,024 characters', () => {
    const failed = checkout.at(-1) as FlaggerEvent;
    const long = {
      ...failed,
      metadata: { ...failed.metadata, eventMessage: `Canary failed! ${'x'.repeat(20_000)}` },
    };
    const body = pagerduty.preview(long) as { payload: { summary: string } };
    expect(body.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(body.payload.summary.length).toBeGreaterThan(900);
  });

  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'previews the golden trigger for %s',
    (name, e) => {
      expectGolden(`pagerduty/${name}`, pagerduty.preview(e));
    },
  );
});
