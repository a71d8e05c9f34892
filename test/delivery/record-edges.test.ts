// The small readings a worker makes off a record, each limit on both sides: attempts, a
// redrive's window, and Flagger-to-delivery latency (reported only when it is one).
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { REDRIVEN_AT } from '../../lib/aws/envelope';
import { attemptOf, sinceFlagger, windowStart } from '../../lib/delivery/record';

const NOW = 1_800_000_000_000;
const record = (attributes: Record<string, string>, redriven?: string) =>
  ({
    attributes,
    messageAttributes:
      redriven === undefined ? undefined : { [REDRIVEN_AT]: { stringValue: redriven, dataType: 'Number' } },
  }) as unknown as SQSRecord;

describe('what a worker reads off a record', () => {
  it('counts attempts from SQS’s receive count, 1 when it has none', () => {
    expect(attemptOf(record({ ApproximateReceiveCount: '3' }))).toBe(3);
    expect(attemptOf(record({}))).toBe(1);
  });

  it('starts the window at a redrive when there was one (a positive time), else at acceptance', () => {
    const queued = { receivedAt: new Date(NOW - 60_000).toISOString() } as Parameters<typeof windowStart>[1];
    expect(windowStart(record({}, String(NOW)), queued)).toBe(NOW);
    expect(windowStart(record({}, '0'), queued)).toBe(NOW - 60_000);
    expect(windowStart(record({}), queued)).toBe(NOW - 60_000);
  });

  it.each([
    ['5 s', NOW - 5000, 5000],
    ['just now', NOW, 0],
    ['up to 5 minutes ahead (clock skew): 0', NOW + 300_000, 0],
    ['over 5 minutes ahead: none', NOW + 300_001, undefined],
    ['a day', NOW - 86_400_000, 86_400_000],
    ['over a day (a replayed sample): none', NOW - 86_400_001, undefined],
    ['not a time', Number.NaN, undefined],
  ])('a latency from Flagger: %s', (_, at, want) => {
    expect(sinceFlagger(String(at), NOW)).toBe(want);
  });
});
