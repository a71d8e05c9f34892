import { afterEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import { formatGoogleChat, googlechat, threadKey } from '../../lib/providers/googlechat';
import { base, fixtureName, fixtures, withMessage } from '../helpers/fixtures';
import { expectGolden } from '../helpers/golden';
import { googleChatLimitViolations } from '../helpers/limits';
import { answer, type Receiver, startReceiver, trySend } from '../helpers/receiver';

type Payload = Parameters<typeof googleChatLimitViolations>[0] & {
  text: string;
  thread: { threadKey: string };
};

describe('Google Chat message', () => {
  it.each(fixtures.map((e, i) => [fixtureName(e, i), e] as const))(
    'matches the golden payload for %s, within Google Chat’s limits',
    (name, e) => {
      const p = formatGoogleChat(e) as Payload;
      expectGolden(`googlechat/${name}`, p);
      expect(googleChatLimitViolations(p)).toEqual([]);
    },
  );

  it('threads every event of a canary under one key, and other canaries apart', () => {
    const keys = fixtures.map((e) => (formatGoogleChat(e) as Payload).thread.threadKey);
    expect(keys[0]).toBe('flagger/test/podinfo');
    expect(new Set(keys.slice(0, 13))).toEqual(new Set(['flagger/test/podinfo']));
    expect(threadKey({ namespace: 'shop', name: 'checkout' })).not.toBe(keys[0]);
  });

  it('shows event text as typed: no card HTML, no <users/all> ping in the fallback', () => {
    const p = formatGoogleChat(
      withMessage('<users/all> <b>bold</b> <a href="https://evil">x</a>', { team: '<i>' }),
    );
    const json = JSON.stringify(p);
    expect(json).not.toContain('<users/all>');
    expect(json).not.toContain('<b>bold');
    expect(json).not.toContain('<a href');
    expect(json).toContain('&lt;b&gt;bold&lt;/b&gt;');
  });

  it('stays under 32 KB with a 200,000-character message and 47 long metadata values', () => {
    const extra = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`k${i}`, '€'.repeat(2048)]));
    expect(
      googleChatLimitViolations(formatGoogleChat(withMessage('y'.repeat(200_000), extra)) as Payload),
    ).toEqual([]);
  });
});

describe('Google Chat webhook delivery (loopback)', () => {
  let rx: Receiver | undefined;
  afterEach(async () => {
    await rx?.close();
    rx = undefined;
  });
  const PATH = '/v1/spaces/AAA/messages?key=KEY&token=SECRETTOKEN';

  it('replies in the canary’s thread, keeping the URL’s key and token', async () => {
    rx = await startReceiver(
      answer(200, '{"name":"spaces/AAA/messages/1"}', { 'content-type': 'application/json' }),
    );
    expect((await trySend(googlechat, rx.url(PATH), base)).ok?.status).toBe(200);
    const u = new URL(`http://x${rx.received[0]?.path}`);
    expect(Object.fromEntries(u.searchParams)).toEqual({
      key: 'KEY',
      token: 'SECRETTOKEN',
      messageReplyOption: 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD',
    });
    expect((rx.received[0]?.json as Payload | undefined)?.thread).toEqual({
      threadKey: 'flagger/test/podinfo',
    });
  });

  it('backs off on 429 RESOURCE_EXHAUSTED, which carries no Retry-After', async () => {
    rx = await startReceiver(answer(429, '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}'));
    const r = await trySend(googlechat, rx.url(PATH), base);
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect((r.err as RetryableDeliveryError).retryAfterSeconds).toBeUndefined();
  });

  it('dead-letters a 400 with Google’s reason and without the token', async () => {
    rx = await startReceiver(
      answer(400, '{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}'),
    );
    const r = await trySend(googlechat, rx.url(PATH), base);
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect(r.err?.message).toContain('INVALID_ARGUMENT');
    expect(r.err?.message).not.toContain('SECRETTOKEN');
  });
});
