import * as z from 'zod/mini';
import { describeIssues } from '../zod';

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
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Name = z
  .string()
  .check(z.maxLength(253), z.regex(DNS1123_SUBDOMAIN, 'must be a Kubernetes name (DNS-1123 subdomain)'));
const dns1123Label = z
  .string()
  .check(z.maxLength(63), z.regex(DNS1123_LABEL, 'must be a Kubernetes namespace (DNS-1123 label)'));

/** The same rules for names met outside an event (a page's path, a gate's body). */
export const isKubernetesName = (s: unknown): s is string =>
  typeof s === 'string' && s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
export const isKubernetesNamespace = (s: unknown): s is string =>
  typeof s === 'string' && s.length <= 63 && DNS1123_LABEL.test(s);

export const MAX_METADATA_KEYS = 50;

/**
 * Flagger puts a failing webhook's whole answer into `eventMessage` and never retries the event
 * webhook: refusing a long message would drop exactly the event that explains a failure. It is
 * kept instead, cut to a stored bound with a visible marker and the original length, keeping the
 * start (Flagger's template, which classification reads) and a tail of the body.
 */
export function cut(s: string, head: number, tail: number): string {
  if (s.length <= head + tail + 64) return s;
  const at = (i: number) => (/[\uDC00-\uDFFF]/.test(s[i] ?? '') ? i - 1 : i); // never split a surrogate pair
  const start = s.slice(0, at(head));
  const end = s.slice(at(s.length - tail));
  return `${start}\n… [cut: ${s.length} characters in all] …\n${end}`;
}
/** ECMAScript's last representable time, 275760-09-13. */
const MAX_TIME_MS = 8.64e15;
export const MESSAGE_HEAD = 12_000;
export const MESSAGE_TAIL = 2_000;
const VALUE_HEAD = 1_500;
const VALUE_TAIL = 300;

const metadata = z
  .catchall(
    z.object({
      eventMessage: z.pipe(
        z.string(),
        z.transform((m) => cut(m, MESSAGE_HEAD, MESSAGE_TAIL)),
      ),
      eventType: z.enum(['Normal', 'Warning']),
      // Refused, not guessed at: a time no Date can hold (beyond ±8.64e15 ms) would fail every
      // formatter on every try (docs/http.md).
      timestamp: z.string().check(
        z.regex(/^\d{1,16}$/, 'must be Unix epoch milliseconds as a decimal string'),
        z.refine(
          (t) => !/^\d+$/.test(t) || Number(t) <= MAX_TIME_MS,
          `must be at most ${MAX_TIME_MS} (the latest time a date can hold)`,
        ),
      ),
    }),
    z.pipe(
      z.string(),
      z.transform((v) => cut(v, VALUE_HEAD, VALUE_TAIL)),
    ),
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

/** A canary, wherever it is named: its namespace and name, and its cluster in a fleet. */
export interface CanaryRef {
  namespace: string;
  name: string;
  cluster?: string;
}

/** A cluster's name: a DNS label, as Kubernetes names go (lower-case, digits, -; ≤ 63). */
export const isClusterName = isKubernetesNamespace;

/**
 * The cluster an event came from: set by ingest from the caller's token or `?cluster=` (or a
 * per-canary webhook's `metadata.cluster` where the token allows it); absent outside a fleet.
 */
export const clusterOf = (e: FlaggerEvent): string | undefined =>
  typeof e.metadata.cluster === 'string' && e.metadata.cluster ? e.metadata.cluster : undefined;

export const canaryRef = (e: FlaggerEvent): CanaryRef => {
  const cluster = clusterOf(e);
  return { namespace: e.namespace, name: e.name, ...(cluster ? { cluster } : {}) };
};

/**
 * The canary's key in state and queues: `namespace/name`, or `cluster/namespace/name` in a fleet,
 * so two clusters' `podinfo.default` never share a rollout, a live message or a FIFO group.
 */
export const canaryKey = (c: CanaryRef): string =>
  c.cluster ? `${c.cluster}/${c.namespace}/${c.name}` : `${c.namespace}/${c.name}`;

/** What people read: `podinfo.test`, or `prod-eu · podinfo.test` in a fleet. */
export const canaryLabel = (c: CanaryRef): string =>
  c.cluster ? `${c.cluster} · ${c.name}.${c.namespace}` : `${c.name}.${c.namespace}`;

/** The canary as people read it in titles and logs (`prod-eu · podinfo.test` in a fleet). */
export const canaryId = (e: FlaggerEvent): string => canaryLabel(canaryRef(e));

/** A canary reference from an event or a reference. */
export const refOf = (c: CanaryRef | FlaggerEvent): CanaryRef => ('metadata' in c ? canaryRef(c) : c);
