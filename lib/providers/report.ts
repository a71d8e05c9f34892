import { plural } from '../event/text';
import type { DigestStats, GroupStats } from '../rollouts/digest';
import type { HeldMessage } from '../rollouts/held';
import type { Report } from './provider';
import { duration } from './summary';

/** The fleet page's link title in every report. */
export const FLEET_LINK_TITLE = 'Fleet page';

const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${Math.round(x * 100)}%`);
const rate = (x: number) => (x >= 10 || x === 0 ? x.toFixed(0) : x.toFixed(1));
const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

const groupLine = (g: GroupStats) =>
  `${g.promoted} promoted, ${g.failures} failed · ${rate(g.perDay)}/day · failure rate ${pct(g.failureRate)}`;

/**
 * A digest in words (docs/fleet.md): the title says the outcome counts, the fields the rates and
 * durations, per cluster and team, and the lines the worst offenders.
 */
export function digestReport(
  s: DigestStats,
  o: { every: 'day' | 'week'; key: string; link?: string; now?: boolean },
): Report {
  const outcomes = [
    `${s.promoted} promoted`,
    `${s.failed} failed`,
    ...(s.rolledBack ? [`${s.rolledBack} rolled back`] : []),
    ...(s.terminated ? [`${s.terminated} terminated`] : []),
  ];
  const title = `${o.every === 'day' ? 'Daily' : 'Weekly'} digest${o.now ? ' (so far)' : ''} · ${plural(s.rollouts, 'rollout')}: ${outcomes.join(', ')}`;
  const fields: [string, string][] = [
    ['Change failure rate', pct(s.failureRate)],
    ['Deployments per day', rate(s.perDay)],
    ['Median duration', s.medianMs === undefined ? 'n/a' : duration(s.medianMs)],
    ['Longest', s.longest ? `${duration(s.longest.ms)} (${s.longest.canary})` : 'n/a'],
    [
      'Longest wait for approval',
      s.longestWait ? `${duration(s.longestWait.ms)} (${s.longestWait.canary})` : 'none',
    ],
    ['Running now', String(s.running)],
    ...s.clusters.map((g): [string, string] => [`Cluster ${g.name}`, groupLine(g)]),
    ...s.teams.map((g): [string, string] => [`Team ${g.name}`, groupLine(g)]),
  ];
  return {
    kind: 'digest',
    title,
    summary: `${day(s.since)} – ${day(s.until)} UTC`,
    fields,
    lines: s.offenders.map((x) => `${x.canary}: ${x.failures} of ${plural(x.rollouts, 'rollout')} failed`),
    ...(o.link ? { link: { title: FLEET_LINK_TITLE, url: o.link } } : {}),
    tone: s.failed + s.rolledBack ? 'warn' : s.rollouts ? 'good' : 'neutral',
    key: o.key,
    data: s,
  };
}

const HELD_LINES = 20;

/** What quiet hours held, as one message when they end: a line per canary, its latest news. */
export function quietReport(
  held: readonly HeldMessage[],
  o: { from: number; until: number; key: string; link?: string; when: string; overflow?: number },
): Report {
  const byCanary = new Map<string, HeldMessage[]>();
  for (const h of held) byCanary.set(h.canary, [...(byCanary.get(h.canary) ?? []), h]);
  const lines = [...byCanary.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([canary, hs]) => {
      const last = hs.reduce((a, b) => (b.at >= a.at ? b : a));
      return `${canary}: ${last.message}${hs.length > 1 ? ` (${plural(hs.length, 'message')})` : ''}`;
    });
  return {
    kind: 'quiet-summary',
    title: `While it was quiet · ${plural(held.length + (o.overflow ?? 0), 'message')} held for ${plural(byCanary.size, 'canary', 'canaries')}`,
    summary: `Quiet hours ended at ${o.when}; failures, rollbacks and approvals went through at once.`,
    fields: [],
    lines: [
      ...lines.slice(0, HELD_LINES),
      ...(lines.length > HELD_LINES ? [`… and ${lines.length - HELD_LINES} more canaries`] : []),
    ],
    ...(o.link ? { link: { title: FLEET_LINK_TITLE, url: o.link } } : {}),
    tone: 'neutral',
    key: o.key,
    data: {
      from: o.from,
      until: o.until,
      held: held.map(({ canary, kind, message, at }) => ({ canary, kind, message, at })),
    },
  };
}
