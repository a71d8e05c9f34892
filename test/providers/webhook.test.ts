import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError } from '../../lib/errors';
import type { FlaggerEvent } from '../../lib/event/event';
import { envDestination } from '../../lib/providers/destination';
import { formatWebhook, webhook } from '../../lib/providers/webhook';
import { base, fixtureName, fixtures } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { answer, destination, type Receiver, startReceiver, trySend } from '../helpers/receiver';

const SECRET = 'whsec-0123456789abcdef';
/** What a receiver does: recompute the HMAC over the raw bytes it got and compare in constant time. */
const verifies = (secret: string, raw: string, header: string | string[] | undefined) => {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const got = Buffer.from(String(header));
  return want.length === got.length && timingSafeEqual(want, got);
};

describe('generic webhook body', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden body for %s',
    (name, e) => {
      expectGolden(`webhook/${name}`, formatWebhook(e));
    },
  );

  it('carries the event exactly as accepted plus its classification and parsed numbers', () => {
    const e = fixtures.find((f) =>
      f.metadata.eventMessage.startsWith('Advance podinfo.test canary weight 20'),
    );
    expect(formatWebhook(e as FlaggerEvent)).toEqual({
      version: 'flagger-notify/v1',
      canary: 'podinfo.test',
      kind: 'progress',
      severity: 'info',
      facts: { canaryWeight: 20 },
      event: e,
    });
  });
});

describe('generic webhook delivery (loopback)', () => {
  let rx: Receiver | undefined;
  afterEach(async () => {
    await rx?.close();
    rx = undefined;
  });

  it('signs the exact bytes sent with X-Signature: sha256=<hex HMAC>', async () => {
    rx = await startReceiver(answer(204));
    const hostile = {
      ...base,
      metadata: { ...base.metadata, eventMessage: 'ünïcødé 💳 "quotes" \\ </script>' },
    };
    expect((await trySend(webhook, rx.url('/in'), hostile, { secret: SECRET })).ok?.status).toBe(204);
    const got = rx.received[0];
    expect(verifies(SECRET, got?.body ?? '', got?.headers['x-signature'])).toBe(true);
    expect(verifies('another-secret-0123', got?.body ?? '', got?.headers['x-signature'])).toBe(false);
    expect(got?.json).toEqual(formatWebhook(hostile));
  });

  it('sends no signature header without a secret', async () => {
    rx = await startReceiver(answer(200));
    await trySend(webhook, rx.url('/in'), base);
    expect(rx.received[0]?.headers['x-signature']).toBeUndefined();
  });

  it('dead-letters a 4xx with the receiver’s answer', async () => {
    rx = await startReceiver(answer(422, 'bad signature'));
    const r = await trySend(webhook, rx.url('/in'), base, { secret: SECRET });
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect(r.err?.message).toContain('bad signature');
  });

  it('refuses a secret too short to resist guessing, naming the variable but not the value', () => {
    const d = envDestination(webhook, {
      WEBHOOK_URL: 'https://example.com/in',
      WEBHOOK_SECRET: 'short-SECRET',
    });
    expect(() => webhook.create(d, { deployed: false, extraAllowedHosts: [] })).toThrow(
      /^WEBHOOK_SECRET: must be at least 16 characters \(each, when several are listed\)$/,
    );
  });

  it.each([
    ['a rotation list with one short secret', 'a-long-enough-secret-0123 short-SECRET'],
    ['only spaces', '   '],
  ])('refuses %s, naming the variable but not the value', (_, secret) => {
    const d = envDestination(webhook, { WEBHOOK_URL: 'https://example.com/in', WEBHOOK_SECRET: secret });
    expect(() => webhook.create(d, { deployed: false, extraAllowedHosts: [] })).toThrow(
      /^WEBHOOK_SECRET: must be at least 16 characters \(each, when several are listed\)$/,
    );
  });

  it('in a deployed stage posts only to hosts in WEBHOOK_ALLOWED_HOSTS', () => {
    const d = envDestination(webhook, { WEBHOOK_URL: 'https://hooks.example.com/in' });
    expect(() => webhook.create(d, { deployed: true, extraAllowedHosts: [] })).toThrow(
      'WEBHOOK_URL: host hooks.example.com is not an allowed webhook host; add it to WEBHOOK_ALLOWED_HOSTS',
    );
    expect(webhook.create(d, { deployed: true, extraAllowedHosts: ['*.example.com'] })).toBeDefined();
  });

  describe('Standard Webhooks signing (webhook-id, webhook-timestamp, webhook-signature)', () => {
    const WHSEC = `whsec_${Buffer.from('a-32-byte-standard-webhooks-key!').toString('base64')}`;
    const NEXT = `whsec_${Buffer.from('the-next-key-during-a-rotation!!').toString('base64')}`;
    const send = (secret: string, eventId = 'e1', name = 'webhook') =>
      destination(webhook, rx?.url('/in') ?? '', name, { secret }).sender.send(base, {
        timeoutMs: 2000,
        messageId: 'm',
        eventId,
        moreInGroup: false,
      });
    const verify = (secret: string, i = 0, options?: { format: 'raw' }) => {
      const got = rx?.received[i];
      return new Webhook(secret, options).verify(got?.body ?? '', got?.headers as Record<string, string>);
    };

    it('verifies with the standardwebhooks library, with either of two secrets during a rotation', async () => {
      rx = await startReceiver(answer(204));
      await send(`${WHSEC} ${NEXT}`);
      expect(verify(WHSEC)).toEqual(formatWebhook(base));
      expect(verify(NEXT)).toEqual(formatWebhook(base));
      const other = `whsec_${Buffer.from('not-one-of-the-stack-s-secrets!!').toString('base64')}`;
      expect(() => verify(other)).toThrow('No matching signature found');
      // Flux-style receivers keep their X-Signature, with the first secret.
      expect(verifies(WHSEC, rx.received[0]?.body ?? '', rx.received[0]?.headers['x-signature'])).toBe(true);
    });

    it('keeps one webhook-id for every attempt at one event to one destination, and no other', async () => {
      rx = await startReceiver(answer(204));
      await send(WHSEC, 'e1');
      await send(WHSEC, 'e1');
      await send(WHSEC, 'e2');
      await send(WHSEC, 'e1', 'audit');
      const ids = rx.received.map((r) => r.headers['webhook-id']);
      expect(ids[0]).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(ids[1]).toBe(ids[0]);
      expect(new Set(ids).size).toBe(3);
    });

    it('signs with a plain secret’s own bytes (the library’s raw format), and is refused as stale', async () => {
      rx = await startReceiver(answer(204));
      await send(SECRET);
      expect(verify(SECRET, 0, { format: 'raw' })).toEqual(formatWebhook(base));
      const got = rx.received[0];
      const headers: Record<string, string> = {
        ...(got?.headers as unknown as Record<string, string>),
        'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 600),
      };
      expect(() => new Webhook(SECRET, { format: 'raw' }).verify(got?.body ?? '', headers)).toThrow();
    });
  });
});
