import * as z from 'zod/mini';
import { describeIssues } from '../config/zod';

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

// Kubernetes rules: a canary's name is a DNS-1123 subdomain (≤ 253), its namespace a DNS-1123
// label (≤ 63). Anything else did not come from Flagger, and would end up in queue ids and messages.
const dns1123Name = z
  .string()
  .check(
    z.maxLength(253),
    z.regex(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
      'must be a Kubernetes name (DNS-1123 subdomain)',
    ),
  );
const dns1123Label = z
  .string()
  .check(
    z.maxLength(63),
    z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace (DNS-1123 label)'),
  );

export const MAX_MESSAGE = 8 * 1024;
export const MAX_METADATA_KEYS = 50;

const metadata = z
  .catchall(
    z.object({
      eventMessage: z.string().check(z.maxLength(MAX_MESSAGE)),
      eventType: z.enum(['Normal', 'Warning']),
      timestamp: z
        .string()
        .check(z.regex(/^\d{1,16}$/, 'must be Unix epoch milliseconds as a decimal string')),
    }),
    z.string().check(z.maxLength(2048)),
  )
  .check(
    z.refine(
      (m) => Object.keys(m).length <= MAX_METADATA_KEYS,
      `must have at most ${MAX_METADATA_KEYS} keys`,
    ),
    z.refine(
      (m) => Object.keys(m).every((k) => k.length > 0 && k.length <= 63),
      'keys must be 1 to 63 characters',
    ),
  );

export const flaggerEventSchema = z.object({
  name: dns1123Name,
  namespace: dns1123Label,
  // Unknown phases are accepted (forward compatibility), within reason.
  phase: z.string().check(z.maxLength(64)),
  checksum: z.optional(z.string().check(z.maxLength(128))),
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
