import { isEnded, type Rollout, type RolloutStatus } from '../rollouts/tracker';
import type { TONE_COLOR } from './presentation';

// How every live message names a rollout's state: the Slack app's and Discord's.
export const LOOK: Record<RolloutStatus, { emoji: string; label: string; tone: keyof typeof TONE_COLOR }> = {
  initializing: { emoji: '🌱', label: 'Initializing', tone: 'neutral' },
  progressing: { emoji: '⏩', label: 'Progressing', tone: 'neutral' },
  waiting: { emoji: '⏸️', label: 'Waiting', tone: 'warn' },
  promoted: { emoji: '✅', label: 'Promoted', tone: 'good' },
  failed: { emoji: '❌', label: 'Failed', tone: 'bad' },
  terminated: { emoji: '🗑️', label: 'Terminated', tone: 'neutral' },
};

/** `1h 2m`, `3m 20s`, `45s`: how long a rollout has run, from Flagger's own timestamps. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function step(r: Rollout): string {
  // Promotion routes all traffic to the primary, whatever weight the last advance named.
  if (r.status === 'promoted') return 'primary weight 100%';
  if (r.primaryWeight !== undefined) return `primary weight ${r.primaryWeight}%`;
  if (r.iteration) return `iteration ${r.iteration.n}/${r.iteration.of}`;
  if (r.weight !== undefined) return `canary weight ${r.weight}%`;
  return isEnded(r) ? 'done' : 'starting';
}

export function checks(r: Rollout): string {
  const failing = r.failed.map((c) => `${c.name}${c.count > 1 ? ` (${c.count}×)` : ''}`);
  const parts = [
    r.passed.length ? `✓ ${r.passed.join(', ')}` : '',
    failing.length ? `✗ ${failing.join(', ')}` : '',
    r.failedChecks !== undefined ? `${r.failedChecks} failed checks` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : isEnded(r) ? 'none' : 'none yet';
}
