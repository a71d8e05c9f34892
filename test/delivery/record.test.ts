import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { REDRIVEN_AT } from '../../lib/aws/envelope';
import { windowStart } from '../../lib/delivery/record';
import { base } from '../helpers/fixtures';

const record = (attrs: Record<string, string> = {}): SQSRecord =>
  ({
    messageId: 'm',
    receiptHandle: 'r',
    body: '',
    attributes: {
      ApproximateReceiveCount: '3',
      SentTimestamp: '1000',
      ApproximateFirstReceiveTimestamp: '2000',
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [k, { dataType: 'Number', stringValue: v }]),
    ),
  }) as unknown as SQSRecord;
const queued = { v: 1 as const, receivedAt: new Date(5000).toISOString(), event: base };

describe('the retry window’s start', () => {
  it('is when ingest accepted the event', () => {
    expect(windowStart(record(), queued)).toBe(5000);
  });
  it('starts over when a redrive sends the record back: a whole window again', () => {
    expect(windowStart(record({ [REDRIVEN_AT]: '9000' }), queued)).toBe(9000);
  });
  it('is the first receive for a body it cannot read, and a bad redrive mark is no mark', () => {
    expect(windowStart(record())).toBe(2000);
    expect(windowStart(record({ [REDRIVEN_AT]: 'soon' }), queued)).toBe(5000);
  });
});
