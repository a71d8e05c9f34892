import { afterEach, describe, expect, it } from 'vitest';
import { parseRetryAfter, postJson } from '../../lib/delivery/http';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lib/errors';
import { answer, hang, type Receiver, reset, startReceiver } from '../helpers/receiver';

const SECRET_PATH = '/services/T000/B000/SECRETSECRET';
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

async function attempt(behaviour: Parameters<typeof startReceiver>[0], timeoutMs = 2000) {
  rx = await startReceiver(behaviour);
  try {
    return { ok: await postJson(rx.url(SECRET_PATH), { text: 'hi' }, { timeoutMs, label: 'slack' }) };
  } catch (err) {
    return { err: err as Error };
  }
}

describe('postJson against a misbehaving loopback webhook', () => {
  it('resolves on 2xx and sends the payload as JSON', async () => {
    const r = await attempt(answer(200, 'ok'));
    expect(r.ok).toMatchObject({ status: 200, text: 'ok' });
    expect(rx?.received[0]?.json).toEqual({ text: 'hi' });
    expect(rx?.received[0]?.headers['content-type']).toBe('application/json');
  });

  it.each([500, 502, 503, 408])('treats %i as retryable', async (status) => {
    const r = await attempt(answer(status, 'rollup_error'));
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect((r.err as RetryableDeliveryError).status).toBe(status);
    expect(r.err?.message).toContain('rollup_error');
  });

  it('treats 429 as retryable and keeps Retry-After', async () => {
    const r = await attempt(answer(429, 'rate_limited', { 'retry-after': '7' }));
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect((r.err as RetryableDeliveryError).retryAfterSeconds).toBe(7);
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'invalid_token'],
    [404, 'no_service'],
    [410, 'channel_is_archived'],
  ])('treats %i %s as permanent, quoting the reason', async (status, body) => {
    const r = await attempt(answer(status, body));
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect(r.err?.message).toBe(
      `slack webhook (${new URL(rx?.url() ?? '').host}) answered ${status}: ${body}`,
    );
  });

  it('gives up on a server that never answers after the timeout, as retryable', async () => {
    const r = await attempt(hang, 300);
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect(r.err?.message).toContain('no answer within 300 ms');
  });

  it('treats a connection reset as retryable', async () => {
    const r = await attempt(reset);
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect(r.err?.message).toMatch(/network error/);
    // A new connection reset is not sent again here: it may have been posted (docs/delivery.md).
    expect(rx?.received).toHaveLength(1);
  });

  it('gives up on a server that sends headers then trickles its body, as retryable', async () => {
    const r = await attempt((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":');
    }, 300);
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect(r.err?.message).toContain('no answer within 300 ms');
  });

  it('never takes a 200 whose body was cut by a reset for an answer', async () => {
    const r = await attempt((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('ok', () => res.socket?.destroy());
    });
    expect(r.err).toBeInstanceOf(RetryableDeliveryError);
    expect(r.err?.message).toMatch(/network error/);
  });

  it('answers a redirect as a permanent 3xx without following it to another host', async () => {
    const r = await attempt(answer(301, '', { location: 'http://127.0.0.1:9/elsewhere' }));
    expect(r.err).toBeInstanceOf(PermanentDeliveryError);
    expect((r.err as PermanentDeliveryError).status).toBe(301);
    expect(rx?.received).toHaveLength(1);
  });

  it('reads answer headers in any case, as fetch did', async () => {
    const r = await attempt(answer(200, '{"a":1}', { 'Content-Type': 'application/json', 'X-Thing': 'v' }));
    expect(r.ok?.headers.get('x-thing')).toBe('v');
    expect(r.ok?.headers.get('X-Thing')).toBe('v');
    expect(r.ok?.headers.get('absent')).toBeNull();
    expect(r.ok?.json).toEqual({ a: 1 });
  });

  it('sends once more on a new connection when a kept-alive one turns out closed, and only then', async () => {
    // The 2nd request arrives on the 1st one's connection, which the server then drops unanswered,
    // as a platform does with a connection idle while the function was frozen.
    rx = await startReceiver((_req, res, n) => {
      if (n === 2) return res.socket?.destroy();
      res.writeHead(200).end('ok');
    });
    const url = rx.url(SECRET_PATH);
    await postJson(url, { n: 1 }, { timeoutMs: 2000, label: 'slack' });
    await expect(postJson(url, { n: 2 }, { timeoutMs: 2000, label: 'slack' })).resolves.toMatchObject({
      status: 200,
    });
    expect(rx.received.map((r) => r.json)).toEqual([{ n: 1 }, { n: 2 }, { n: 2 }]);
  });

  it('treats a refused connection as retryable', async () => {
    rx = await startReceiver();
    const url = rx.url(SECRET_PATH);
    await rx.close();
    rx = undefined;
    await expect(postJson(url, {}, { timeoutMs: 1000, label: 'teams' })).rejects.toBeInstanceOf(
      RetryableDeliveryError,
    );
  });

  it.each([answer(500), answer(404), hang, reset])(
    'never puts the webhook path (a secret) in an error',
    async (b) => {
      const r = await attempt(b, 300);
      expect(r.err?.message).not.toContain('SECRET');
    },
  );

  it('caps a huge error body in the message', async () => {
    const r = await attempt(answer(500, 'x'.repeat(100_000)));
    expect(r.err?.message.length).toBeLessThan(500);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['120', 120],
    [' 3 ', 3],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('reads %s as %s seconds', (v, expected) => {
    expect(parseRetryAfter(v, now)).toBe(expected);
  });
});
