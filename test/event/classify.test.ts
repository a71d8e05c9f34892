import { describe, expect, it } from 'vitest';
import { classify, type Facts, type Kind, type Severity } from '../../lib/event/classify';
import type { FlaggerEvent } from '../../lib/event/event';
import { fixtures } from '../helpers/fixtures';

// Every fixture, in file order: [kind, severity, facts]. Reviewed by hand against Flagger's meaning.
const EXPECTED: [Kind, Severity, Facts?][] = [
  ['started', 'info'], // New revision detected!
  ['waiting', 'warn'], // not ready: waiting for rollout to finish
  ['progress', 'info'], // Starting canary analysis
  ['progress', 'info', { webhook: 'acceptance-test' }], // Pre-rollout check passed
  ['progress', 'info', { canaryWeight: 10 }],
  ['check-failed', 'warn', { metric: { name: 'request-success-rate' } }], // no values found
  ['progress', 'info', { canaryWeight: 20 }],
  ['progress', 'info', { canaryWeight: 30 }],
  ['progress', 'info', { canaryWeight: 40 }],
  ['progress', 'info', { canaryWeight: 50 }],
  ['progress', 'info'], // Copying template spec
  ['progress', 'info'], // Routing all traffic to primary
  ['succeeded', 'info'], // Promotion completed!
  ['started', 'info'],
  ['progress', 'info'],
  ['progress', 'info', { canaryWeight: 10 }],
  ['check-failed', 'warn', { metric: { name: 'success rate', value: '55.06%', threshold: '< 99%' } }],
  ['check-failed', 'warn', { metric: { name: 'request duration', value: '1.515s', threshold: '> 500ms' } }],
  ['check-failed', 'warn', { metric: { name: 'success rate', value: '61.20%', threshold: '< 99%' } }],
  ['rolled-back', 'error', { failedChecks: 5 }],
  ['failed', 'error'], // Canary failed!
  ['initialized', 'info'], // all the metrics providers are available!
  ['initialized', 'info'], // Initialization done!
  ['waiting', 'warn', { webhook: 'gate-keeper' }], // waiting for approval (phase lags: Succeeded)
  ['progress', 'info', { webhook: 'gate-keeper' }], // Confirm-rollout check passed
  ['progress', 'info', { iteration: { n: 1, of: 10 } }],
  ['waiting', 'warn', { webhook: 'promotion-gate' }], // waiting for promotion approval
  ['progress', 'info', { webhook: 'promotion-gate' }],
  ['progress', 'info', { primaryWeight: 50 }],
  ['succeeded', 'info'], // Promotion completed! Canary analysis was skipped
  ['rolled-back', 'error'], // progress deadline exceeded
  ['failed', 'error'], // Promotion of … failed, primary not ready
  ['progress', 'info', { webhook: 'rollback-gate' }], // Rollback hook not signaling a rollback
  ['other', 'info'], // skipping canary run as object is suspended
  ['terminated', 'info'],
  ['terminated', 'info'],
  ['started', 'info'], // older Flagger without checksum
  ['other', 'warn'], // Error checking metric providers (unknown: severity from Warning)
  ['progress', 'info', { canaryWeight: 5 }],
  ['progress', 'info', { canaryWeight: 15 }], // unknown phase "Rebalancing"
];

describe('classify', () => {
  it('has an expectation for every fixture', () => {
    expect(EXPECTED).toHaveLength(fixtures.length);
  });

  it.each(fixtures.map((e, i) => [e.metadata.eventMessage, e, EXPECTED[i]] as const))(
    '%s',
    (_, e, expected) => {
      const [kind, severity, facts = {}] = expected ?? [];
      expect(classify(e)).toEqual({ kind, severity, facts });
    },
  );

  const base = fixtures[0] as FlaggerEvent;
  const msg = (eventMessage: string, eventType: 'Normal' | 'Warning' = 'Normal'): FlaggerEvent => ({
    ...base,
    metadata: { ...base.metadata, eventMessage, eventType },
  });

  it.each([
    [
      'Halt podinfo.test advancement waiting for traffic increase approval traffic-gate',
      'waiting',
      { webhook: 'traffic-gate' },
    ],
    [
      'Pre-rollout check acceptance-test failed Post "http://x": timeout',
      'check-failed',
      { webhook: 'acceptance-test' },
    ],
    ['Rolling back podinfo.test manual webhook invoked', 'rolled-back', {}],
  ] as const)('knows Flagger templates beyond the fixtures: %s', (text, kind, facts) => {
    expect(classify(msg(text, 'Warning'))).toMatchObject({ kind, facts });
  });

  it.each([
    ['Normal', 'info'],
    ['Warning', 'warn'],
  ] as const)('classifies an unknown %s message as other with severity %s', (type, severity) => {
    expect(classify(msg('something Flagger says in a future version', type))).toEqual({
      kind: 'other',
      severity,
      facts: {},
    });
  });
});
