import { providerById } from '../providers/catalog';
import type { DestinationDef } from '../providers/provider';
import { type Route, routeLabel } from './match';
import { type Digest, digestSchema, type QuietWindow, quietSchema, toDigest, toQuiet } from './schedule';

/** A digest: who gets it, which canaries it covers (the routes' `match`), when. */
export interface DigestTarget {
  /** `destination ops` or `route team-a`: its once-per-period record and its logs. */
  label: string;
  to: string[];
  digest: Digest;
  /** The routes whose match selects its canaries (a route's own, or every route to the destination). */
  routes: Route[];
}

/** A routing file's digests and quiet hours (docs/fleet.md). */
export interface Schedules {
  digests: DigestTarget[];
  /** Quiet windows by destination, and by route label (lib/routing/match.ts routeLabel). */
  quiet: { destinations: Record<string, QuietWindow[]>; routes: Record<string, QuietWindow[]> };
  /** The destinations quiet hours may hold messages for: their own windows, or a route's to them. */
  held: string[];
  /** Each of those destinations' routes: whose canaries its summary's fleet link may show. */
  routesTo?: Record<string, Route[]>;
}

type Raw = { [key: string]: unknown; digest?: unknown; quiet?: unknown };
const what = (key: 'digest' | 'quiet') => (key === 'digest' ? 'digest' : 'quiet-hours summary');

/**
 * The file's `digest:` and `quiet:` (already checked by its schema), once its destinations and
 * routes are read: a problem for each on a provider with no message to put a report in;
 * undefined when the file has neither.
 */
export function readSchedules(
  file: { destinations: Record<string, Raw>; routes?: (Raw & { name?: string; to: unknown })[] },
  destinations: Record<string, DestinationDef>,
  routes: readonly Route[],
  where: (path: (string | number)[]) => string,
): { schedules?: Schedules; problems: string[] } {
  const problems: string[] = [];
  const s: Schedules = { digests: [], quiet: { destinations: {}, routes: {} }, held: [] };
  const reports = (name: string) => providerById(destinations[name]?.type ?? '')?.reports;
  for (const [n, d] of Object.entries(file.destinations)) {
    if (!destinations[n]) continue;
    for (const key of ['digest', 'quiet'] as const) {
      if (d[key] !== undefined && !reports(n))
        problems.push(
          `${where(['destinations', n, key])}: type ${destinations[n]?.type} has no message to put a ${what(key)} in`,
        );
    }
    if (d.digest !== undefined)
      s.digests.push({
        label: `destination ${n}`,
        to: [n],
        digest: toDigest(digestSchema.parse(d.digest)),
        // A destination's digest covers the canaries of every route that sends to it.
        routes: routes.filter((r) => r.to.includes(n)),
      });
    if (d.quiet !== undefined) s.quiet.destinations[n] = toQuiet(quietSchema.parse(d.quiet));
  }
  (file.routes ?? []).forEach((rt, i) => {
    const route = routes[i] as Route;
    for (const key of ['digest', 'quiet'] as const) {
      if (rt[key] === undefined) continue;
      route.to.forEach((to, j) => {
        if (destinations[to] && !reports(to))
          problems.push(
            `${where(['routes', i, 'to', j])}: "${to}" (type ${destinations[to]?.type}) has no message to put the route's ${what(key)} in`,
          );
      });
    }
    // A route's digest covers the canaries its match selects.
    if (rt.digest !== undefined)
      s.digests.push({
        label: `route ${routeLabel(route, i)}`,
        to: route.to,
        digest: toDigest(digestSchema.parse(rt.digest)),
        routes: [route],
      });
    if (rt.quiet !== undefined) s.quiet.routes[routeLabel(route, i)] = toQuiet(quietSchema.parse(rt.quiet));
  });
  s.held = [
    ...new Set([
      ...Object.keys(s.quiet.destinations),
      ...routes.flatMap((r, i) => (s.quiet.routes[routeLabel(r, i)] ? r.to : [])),
    ]),
  ];
  s.routesTo = Object.fromEntries(s.held.map((d) => [d, routes.filter((r) => r.to.includes(d))]));
  const any = s.digests.length || s.held.length;
  return { ...(any ? { schedules: s } : {}), problems };
}
