import { type CanaryRef, canaryKey } from '../event/event';
import { logger } from '../log';
import type { Sender } from '../providers/provider';
import { parseRolloutKey, type RolloutStore } from '../rollouts/state';

export interface StatusDeps {
  store: RolloutStore;
  /** Senders with periodic work (Alertmanager destinations). */
  senders: Sender[];
  /** One CanaryStatus data point (CloudWatch). */
  gauge(canary: CanaryRef, value: number): void;
  now?: () => number;
}

/**
 * The scheduled status run (every minute deployed, a short interval under `npm start`): keeps the
 * CanaryStatus gauge at 2 for every canary whose rollout failed, as Flagger's own gauge stays 2
 * until the next revision, and lets each destination re-send what must not lapse (firing
 * Alertmanager alerts). Reads only the state table's sparse index of failures: an idle or healthy
 * fleet costs one empty query a minute.
 */
export async function runStatus(deps: StatusDeps): Promise<{ failedCanaries: number; refreshed: number }> {
  const now = (deps.now ?? Date.now)();
  const failing = await deps.store.failing();
  const canaries = new Map<string, CanaryRef>();
  for (const f of failing) {
    const k = parseRolloutKey(f.key);
    if (!k || f.value.rollout.status !== 'failed') continue;
    const { destination: _, ...canary } = k;
    canaries.set(canaryKey(canary), canary);
  }
  for (const c of canaries.values()) deps.gauge(c, 2);
  const results = await Promise.allSettled(deps.senders.map((s) => s.refresh?.(now) ?? Promise.resolve(0)));
  let refreshed = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') refreshed += r.value;
    // One Alertmanager down must not stop the others; the next run tries again well before endsAt.
    else
      logger.warn('status refresh failed', {
        error: (r.reason as Error)?.name,
        message: (r.reason as Error)?.message,
      });
  }
  return { failedCanaries: canaries.size, refreshed };
}
