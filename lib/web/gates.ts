import * as z from 'zod/mini';
import { type Env, optionalEnv, parseEnv } from '../env';
import { type CanaryRef, canaryLabel, isKubernetesName, isKubernetesNamespace } from '../event/event';
import { logger } from '../log';
import { own } from '../own';
import {
  asked,
  decide,
  type GateHow,
  type GateKind,
  type GateOutcome,
  type GateRequest,
  type GateRules,
  type GateStore,
  isOpen,
} from '../rollouts/gates';
import type { Story, StoryStore } from '../rollouts/story';
import { retrying } from '../rollouts/story-log';
import { isEnded } from '../rollouts/tracker';

export interface GateAnswer {
  statusCode: number;
  body: string;
}

/** `{name, namespace}` (Flagger sends `checksum` too) from a gate request's body. */
export function parseGateBody(body: string): { name: string; namespace: string; checksum?: string } | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'body is not valid JSON';
  }
  const b = json as { name?: unknown; namespace?: unknown; checksum?: unknown };
  if (!isKubernetesName(b?.name)) return 'name: must be a Kubernetes name';
  if (!isKubernetesNamespace(b.namespace)) return 'namespace: must be a Kubernetes namespace';
  return {
    name: b.name,
    namespace: b.namespace,
    ...(typeof b.checksum === 'string' && b.checksum ? { checksum: b.checksum.slice(0, 128) } : {}),
  };
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30m`, `2h`, `1d` as milliseconds; between a minute and 30 days. */
export const durationMs = z.pipe(
  z.string().check(z.regex(/^\d{1,5}[mhd]$/, 'must be a duration such as 30m, 2h or 1d')),
  z
    .transform((v: string) => Number(v.slice(0, -1)) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS])
    .check(z.refine((ms) => ms >= 60_000 && ms <= 30 * 86_400_000, 'must be from 1m to 30d')),
);

const rulesSchema = z.object({ APPROVAL_TTL: optionalEnv(durationMs) });

/**
 * APPROVAL_TTL: how long an approval lasts (unset: until its rollout ends). Read by every function
 * that opens a gate, so an approval lapses the same whichever way it was given.
 */
export function approvalTtl(env: Env): number | undefined {
  return parseEnv(rulesSchema, env, 'approval').APPROVAL_TTL;
}

/**
 * The destination that drew a button or card: the one it names, or (drawn before destinations
 * were named in them) the only one there is.
 */
export function drawnBy<T>(destinations: Readonly<Record<string, T>>, named: unknown): T | undefined {
  const names = Object.keys(destinations);
  return own(destinations, typeof named === 'string' ? named : names.length === 1 ? names[0] : undefined);
}

/** The canary's story, when the rollout a button, card or form was drawn for is the one still running. */
export async function runningRollout(
  stories: StoryStore,
  canary: CanaryRef,
  startedAt: unknown,
): Promise<Story | undefined> {
  const story = (await stories.get(canary))?.value;
  return story && story.rollout.startedAt === startedAt && !isEnded(story.rollout) ? story : undefined;
}

/** A person's reason as one line of text (its length is the gate's to bound). */
export const oneLine = (raw: unknown): string =>
  typeof raw === 'string' ? raw.replace(/\s+/g, ' ').trim() : '';

const WHAT: Record<GateKind, string> = { gate: 'Gate', rollback: 'Rollback' };

/** What an outcome says to the one who asked (and in the audit log line). */
export function outcomeText(kind: GateKind, o: GateOutcome): string {
  const what = WHAT[kind];
  switch (o.result) {
    case 'opened':
    case 'closed':
    case 'rejected':
      return `${what} ${o.result}`;
    case 'counted':
      return `Approval ${o.change.vote?.n} of ${o.change.vote?.of} recorded: ${(o.change.vote?.of ?? 0) - (o.change.vote?.n ?? 0)} more needed`;
    case 'refused':
      return `${what} rejected by ${o.change.by}${o.change.rejected ? `: ${o.change.rejected}` : ''}. Only the gate API (flagger-notify gate open) opens it again for this revision`;
    case 'unchanged':
      if (o.counted)
        return `Your approval is already counted (${o.counted.who.length} of the approvals needed)`;
      if (o.change?.rejected !== undefined) return `${what} already rejected`;
      return `${what} already ${o.open ? 'open' : 'closed'}`;
  }
}

/**
 * Flagger's loadtester gate API, kept in the state table and tied to the rollout running now:
 * `check` answers 200 "Approved" or 403 "Forbidden" (never 202: Flagger takes any status up to
 * 202 as success), `open`, `close` and `reject` answer 202 (409 when a rejection stands). Every
 * change is logged and kept in the audit trail.
 */
export async function handleGate(
  kind: GateKind,
  action: 'check' | GateRequest['action'],
  target: CanaryRef & { checksum?: string },
  who: { by: string; how: GateHow; identity?: string; reason?: string },
  deps: { stories: StoryStore; gates: GateStore; now?: () => number; rules?: GateRules },
): Promise<GateAnswer & { outcome?: GateOutcome }> {
  const story = (await deps.stories.get(target))?.value;
  const now = deps.now ?? Date.now;
  if (action === 'check') {
    const got = await deps.gates.get(target);
    const open = isOpen(got?.value, kind, story, target.checksum, now());
    // A revision Flagger asks about for the first time is remembered (one write per revision, not
    // per check): an approval is then for that revision. A lost race only delays it to the next check.
    const { checksum, ...canary } = target;
    const next =
      checksum && !open ? asked(got?.value, canary, kind, checksum, story?.rollout.startedAt) : undefined;
    if (next)
      await deps.gates.put(next, got?.version ?? 0).catch((err: Error) => {
        logger.warn('could not remember the revision a gate check asked about', { error: err.name });
      });
    return open ? { statusCode: 200, body: 'Approved' } : { statusCode: 403, body: 'Forbidden' };
  }
  if (!story) {
    return {
      statusCode: 409,
      body: `no rollout of ${canaryLabel(target)} is known yet: a gate opens for the rollout running now`,
    };
  }
  // Two clicks at once: the second re-reads and finds the gate already as asked.
  return retrying(async () => {
    const got = await deps.gates.get(target);
    const { state, outcome } = decide(got?.value, story, { kind, action, ...who, at: now() }, deps.rules);
    const body = outcomeText(kind, outcome);
    if (outcome.result === 'refused') return { statusCode: 409, body, outcome };
    if (outcome.result === 'unchanged') return { statusCode: 202, body, outcome };
    await deps.gates.put(state, got?.version ?? 0);
    logger.info(`gate ${outcome.result}`, {
      gate: kind,
      canary: canaryLabel(target),
      by: who.by,
      how: who.how,
      rollout: story.rollout.startedAt,
      revision: outcome.change.revision,
    });
    return { statusCode: 202, body, outcome };
  }, 5);
}
