import { type CanaryRef, canaryLabel, isKubernetesName, isKubernetesNamespace } from '../event/event';
import { logger } from '../log';
import { asked, decide, type GateHow, type GateKind, type GateStore, isOpen } from '../rollouts/gates';
import type { StoryStore } from '../rollouts/story';
import { retrying } from '../rollouts/story-log';

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

/**
 * Flagger's loadtester gate API, kept in the state table and tied to the rollout running now:
 * `check` answers 200 "Approved" or 403 "Forbidden" (never 202: Flagger takes any status up to
 * 202 as success), `open` and `close` answer 202. Every change is logged and kept in the audit trail.
 */
export async function handleGate(
  kind: GateKind,
  action: 'check' | 'open' | 'close',
  target: CanaryRef & { checksum?: string },
  who: { by: string; how: GateHow },
  deps: { stories: StoryStore; gates: GateStore; now?: () => number },
): Promise<GateAnswer> {
  const story = (await deps.stories.get(target))?.value;
  if (action === 'check') {
    const got = await deps.gates.get(target);
    const open = isOpen(got?.value, kind, story, target.checksum);
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
  const open = action === 'open';
  // Two clicks at once: the second re-reads and finds the gate already as asked.
  return retrying(async () => {
    const got = await deps.gates.get(target);
    const { state, changed } = decide(got?.value, story, {
      kind,
      open,
      by: who.by,
      how: who.how,
      at: (deps.now ?? Date.now)(),
    });
    // Said of the webhook it is: a Roll back click that answered "Gate opened" read as an approval.
    const what = kind === 'gate' ? 'Gate' : 'Rollback';
    if (!changed) return { statusCode: 202, body: `${what} already ${open ? 'open' : 'closed'}` };
    await deps.gates.put(state, got?.version ?? 0);
    logger.info(open ? 'gate opened' : 'gate closed', {
      gate: kind,
      canary: canaryLabel(target),
      by: who.by,
      how: who.how,
      rollout: story.rollout.startedAt,
      revision: story.rollout.revision,
    });
    return { statusCode: 202, body: `${what} ${open ? 'opened' : 'closed'}` };
  }, 5);
}
