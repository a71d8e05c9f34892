import * as z from 'zod/mini';
import { describeIssues } from './zod';

/** Phases Flagger v1.44 sends; unknown strings are still accepted for forward compatibility. */
export const KNOWN_PHASES = [
  '',
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;

// Kubernetes object names are at most 253 characters; anything longer is not from Flagger.
const k8sName = z.string().check(z.minLength(1), z.maxLength(253));

const metadata = z.catchall(
  z.object({
    eventMessage: z.string(),
    eventType: z.enum(['Normal', 'Warning']),
    timestamp: z.string().check(z.regex(/^\d{1,16}$/, 'must be Unix epoch milliseconds as a decimal string')),
  }),
  z.string(),
);

export const flaggerEventSchema = z.object({
  name: k8sName,
  namespace: k8sName,
  phase: z.string(),
  checksum: z.optional(z.string()),
  metadata,
});

export type FlaggerEvent = z.infer<typeof flaggerEventSchema>;

export type ParseResult = { ok: true; event: FlaggerEvent } | { ok: false; errors: string[] };

export function parseFlaggerEvent(input: unknown): ParseResult {
  const r = flaggerEventSchema.safeParse(input);
  return r.success ? { ok: true, event: r.data } : { ok: false, errors: describeIssues(r.error.issues) };
}

/** Metadata keys other than Flagger's own three: a per-canary webhook's extras (cluster, team, …). */
export function extraMetadata(event: FlaggerEvent): [string, string][] {
  const { eventMessage: _m, eventType: _t, timestamp: _ts, ...rest } = event.metadata;
  return Object.entries(rest)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .sort(([a], [b]) => a.localeCompare(b));
}

export function eventTime(event: FlaggerEvent): Date {
  return new Date(Number(event.metadata.timestamp));
}

export const canaryId = (e: FlaggerEvent): string => `${e.name}.${e.namespace}`;
