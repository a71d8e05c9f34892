import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../lib/delivery/retry';
import { NotSentError, RetryableDeliveryError } from '../../lib/errors';
import { TUNING, workerTimeout } from '../../lib/infra/stack';
import { PROVIDERS } from '../../lib/providers/catalog';

describe('delivery arithmetic per generated worker', () => {
  it.each(PROVIDERS.map((p) => [p.id, p] as const))(
    '%s: a full batch fits the function timeout, and the visibility timeout is 6 × it',
    (_, p) => {
      const timeout = workerTimeout(p);
      const calls = p.modes[0] === 'live' ? 3 : 1;
      // What the worker's guard needs before each record: pacing + its calls' deadlines + 1 s.
      const batch = TUNING.batchSize * (p.minIntervalMs / 1000 + calls * TUNING.deliveryTimeoutSeconds + 1);
      expect(batch).toBeLessThanOrEqual(timeout);
      expect(timeout).toBeLessThanOrEqual(900); // Lambda's maximum
      expect(6 * timeout).toBeLessThanOrEqual(12 * 3600); // SQS's maximum visibility timeout
    },
  );

  it('brings a record that was not sent back no more often than the window allows within the receive backstop', () => {
    const policy = { baseSeconds: 2, capSeconds: 900, maxReceiveCount: 1000, windowSeconds: 7200 };
    // 7,200 s over 900 receives: 8 s apart at least, even when the rate limit has 1 s left.
    expect(retryDelaySeconds(new NotSentError('waiting', 429, 1), 5, policy)).toBe(8);
    expect(retryDelaySeconds(new NotSentError('waiting', 429, 30), 5, policy)).toBe(30);
    // A real attempt's Retry-After is honoured exactly.
    expect(retryDelaySeconds(new RetryableDeliveryError('429', 429, 1), 5, policy)).toBe(1);
  });
});
