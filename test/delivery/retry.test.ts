import { describe, expect, it } from 'vitest';
import { createPacer } from '../../lib/delivery/pacer';
import { sinceFlagger } from '../../lib/delivery/record';
import { backoffSeconds, retryDelaySeconds } from '../../lib/delivery/retry';
import { RetryableDeliveryError } from '../../lib/errors';

const policy = { baseSeconds: 2, capSeconds: 900, maxReceiveCount: 24, windowSeconds: 7200 };

describe('retry delay', () => {
  it.each([
    [1, 2],
    [2, 4],
    [5, 32],
    [10, 900],
    [30, 900],
  ])('after attempt %i waits at most min(cap, base × 2^(n−1)) = %i s', (attempt, ceiling) => {
    expect(backoffSeconds(attempt, policy, () => 0.999999)).toBe(ceiling);
    expect(backoffSeconds(attempt, policy, () => 0)).toBe(1);
  });

  it('spreads retries uniformly (full jitter)', () => {
    expect(backoffSeconds(6, policy, () => 0.5)).toBe(32);
  });

  it('honours Retry-After exactly, rounding fractions up, instead of the backoff', () => {
    expect(retryDelaySeconds(new RetryableDeliveryError('429', 429, 7), 1, policy, () => 0)).toBe(7);
    expect(retryDelaySeconds(new RetryableDeliveryError('429', 429, 1.2), 9, policy)).toBe(2);
    expect(retryDelaySeconds(new RetryableDeliveryError('429', 429, 0), 9, policy)).toBe(0);
  });

  it('caps any delay at SQS’s 12-hour visibility limit', () => {
    expect(retryDelaySeconds(new RetryableDeliveryError('429', 429, 86_400), 1, policy)).toBe(43_200);
  });

  it('uses the backoff for errors that say nothing about waiting', () => {
    expect(retryDelaySeconds(new Error('boom'), 3, policy, () => 0.999999)).toBe(8);
  });
});

describe('pacer', () => {
  it('spaces turns by the minimum interval', async () => {
    const pacer = createPacer(100);
    const t0 = Date.now();
    await pacer.turn();
    await pacer.turn();
    await pacer.turn();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('stays blocked until a Retry-After has elapsed, keeping the longest', () => {
    let now = 1_000_000;
    const pacer = createPacer(0, () => now);
    expect(pacer.blockedMs()).toBe(0);
    pacer.block(5);
    pacer.block(2);
    now += 4_000;
    expect(pacer.blockedMs()).toBe(1_000);
    now += 1_000;
    expect(pacer.blockedMs()).toBe(0);
  });
});

describe('end-to-end latency from Flagger’s timestamp', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  it.each([
    ['a second ago', now - 1000, 1000],
    ['a little ahead (clock skew)', now + 2000, 0],
    ['last year (a replayed sample)', now - 365 * 86_400_000, undefined],
    ['an hour ahead', now + 3_600_000, undefined],
  ])('is reported for an event sent %s only when it is a latency', (_, ts, expected) => {
    expect(sinceFlagger(String(ts), now)).toBe(expected);
  });
});
