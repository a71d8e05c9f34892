import type { FlaggerEvent } from './event';

// The words routing files use too (lib/routing/config.ts validates against these lists).
export const KINDS = [
  'started',
  'progress',
  'waiting',
  'check-failed',
  'succeeded',
  'failed',
  'rolled-back',
  'initialized',
  'terminated',
  'other',
] as const;
export type Kind = (typeof KINDS)[number];

/** Flagger's own alert severities: info (all), warn, error. */
export const SEVERITIES = ['info', 'warn', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Facts {
  canaryWeight?: number;
  iteration?: { n: number; of: number };
  primaryWeight?: number;
  failedChecks?: number;
  metric?: { name: string; value?: string; threshold?: string };
  webhook?: string;
}

export interface Classification {
  kind: Kind;
  severity: Severity;
  facts: Facts;
}

type Rule = { kind: Kind; severity?: Severity; re: RegExp; facts?: (m: RegExpMatchArray) => Facts };

const num = (s: string | undefined) => Number(s);

// Message templates from Flagger's scheduler (v1.44), most specific first. A message's own words
// decide: the phase of non-milestone events lags behind (docs/messages.md).
const RULES: Rule[] = [
  { kind: 'started', re: /^New revision detected!/ },
  { kind: 'succeeded', re: /^Promotion completed!/ },
  { kind: 'failed', severity: 'error', re: /^Canary failed!/ },
  { kind: 'failed', severity: 'error', re: /^Promotion of \S+ failed/ },
  {
    kind: 'rolled-back',
    severity: 'error',
    re: /^Rolling back \S+ failed checks threshold reached (\d+)/,
    facts: (m) => ({ failedChecks: num(m[1]) }),
  },
  { kind: 'rolled-back', severity: 'error', re: /^Rolling back / },
  {
    kind: 'progress',
    re: /^Advance \S+ canary weight (\d+)/,
    facts: (m) => ({ canaryWeight: num(m[1]) }),
  },
  {
    kind: 'progress',
    re: /^Advance \S+ canary iteration (\d+)\/(\d+)/,
    facts: (m) => ({ iteration: { n: num(m[1]), of: num(m[2]) } }),
  },
  {
    kind: 'progress',
    re: /^Advance \S+ primary weight (\d+)/,
    facts: (m) => ({ primaryWeight: num(m[1]) }),
  },
  {
    kind: 'waiting',
    severity: 'warn',
    re: /^Halt \S+ advancement waiting for (?:promotion |traffic increase )?approval (\S+)/,
    facts: (m) => ({ webhook: m[1] }),
  },
  {
    kind: 'check-failed',
    severity: 'warn',
    re: /^Halt advancement no values found for (?:\S+ )?metric (\S+)/,
    facts: (m) => ({ metric: { name: m[1] ?? '' } }),
  },
  {
    kind: 'check-failed',
    severity: 'warn',
    re: /^Halt \S+ advancement (.+?) ([\d.]+[^\s<>]*) ([<>]) ([\d.]+\S*)$/,
    facts: (m) => ({ metric: { name: m[1] ?? '', value: m[2], threshold: `${m[3]} ${m[4]}` } }),
  },
  { kind: 'check-failed', severity: 'warn', re: /^Halt / },
  {
    kind: 'check-failed',
    severity: 'warn',
    re: /^(?:Pre-rollout|Post-rollout|Confirm-rollout|Confirm-promotion|Confirm-traffic-increase) check (\S+) failed/,
    facts: (m) => ({ webhook: m[1] }),
  },
  {
    kind: 'progress',
    re: /^(?:Pre-rollout|Post-rollout|Confirm-rollout|Confirm-promotion|Confirm-traffic-increase) check (\S+) passed/,
    facts: (m) => ({ webhook: m[1] }),
  },
  { kind: 'waiting', severity: 'warn', re: /not ready: waiting for rollout to finish/ },
  {
    kind: 'progress',
    re: /^Rollback hook (\S+) not signaling a rollback/,
    facts: (m) => ({ webhook: m[1] }),
  },
  {
    kind: 'progress',
    re: /^(?:Starting canary analysis|Copying \S+ template spec|Routing all traffic to primary)/,
  },
  { kind: 'initialized', re: /^(?:Initialization done!|all the metrics providers are available!)/ },
  { kind: 'terminated', re: /^Terminat(?:ing|ed) canary / },
];

/** One pure function every provider uses: what happened, how bad, and the numbers in the message. */
export function classify(event: FlaggerEvent): Classification {
  const message = event.metadata.eventMessage;
  for (const rule of RULES) {
    const m = message.match(rule.re);
    if (m) return { kind: rule.kind, severity: rule.severity ?? 'info', facts: rule.facts?.(m) ?? {} };
  }
  return { kind: 'other', severity: event.metadata.eventType === 'Warning' ? 'warn' : 'info', facts: {} };
}
