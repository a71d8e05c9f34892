import { describe, expect, it } from 'vitest';
import { prettyLine } from '../../lib/local/pretty';

describe('readable local log lines', () => {
  it('keeps time, level, function, message and the decision’s own fields, dropping Powertools noise', () => {
    const json = JSON.stringify({
      level: 'INFO',
      message: 'event queued',
      timestamp: '2026-11-26T05:07:15.363Z',
      service: 'flagger-notify',
      cold_start: false,
      function_name: 'ingest',
      function_request_id: 'x',
      sampling_rate: 0,
      correlationId: 'abc',
      canary: 'podinfo.test',
      channels: ['slack', 'teams'],
    });
    expect(prettyLine(json)).toBe(
      '05:07:15.363 INFO  ingest  event queued  correlationId=abc canary=podinfo.test channels=["slack","teams"]\n',
    );
  });
  it('leaves anything that is not JSON alone', () => {
    expect(prettyLine('[local] ingest listening')).toBe('[local] ingest listening');
  });
});
