import type { Classification, Kind, Severity } from '../event/classify';
import { clusterOf, type FlaggerEvent } from '../event/event';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };

export interface Route {
  name?: string;
  match: {
    namespace?: string[];
    name?: string[];
    phase?: string[];
    eventType?: string[];
    kind?: Kind[];
    severity?: Severity[];
    /** Globs on the event's cluster (a fleet's; an event without one has the empty name). */
    cluster?: string[];
    /** Globs on metadata values, by key (a per-canary webhook's `team`, `env`, …): all must hold. */
    metadata?: Record<string, string[]>;
  };
  include: RegExp[];
  exclude: RegExp[];
  /** Flagger's semantics: info = everything, warn = warn + error, error = errors only. */
  minSeverity?: Severity;
  only?: Kind[];
  /** Seconds during which the same canary + kind + message is not sent again. */
  muteSeconds?: number;
  to: string[];
  continue: boolean;
}

/** How a route is named in logs and check-config: its name, else its place (`#2`). */
export const routeLabel = (r: Pick<Route, 'name'>, i: number) => r.name ?? `#${i + 1}`;

/** Shell-style glob: `*` any run, `?` one character; the rest literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const anyGlob = (globs: string[] | undefined, value: string) =>
  !globs || globs.some((g) => globToRegExp(g).test(value));
const anyOf = <T>(list: T[] | undefined, value: T) => !list || list.includes(value);

/** Why a route's `match` holds for an event, or undefined when it does not. */
export function matchReason(route: Route, e: FlaggerEvent, c: Classification): string | undefined {
  const m = route.match;
  const checks: [keyof Route['match'], boolean][] = [
    ['namespace', anyGlob(m.namespace, e.namespace)],
    ['name', anyGlob(m.name, e.name)],
    ['phase', anyOf(m.phase, e.phase)],
    ['eventType', anyOf(m.eventType, e.metadata.eventType)],
    ['kind', anyOf(m.kind, c.kind)],
    ['severity', anyOf(m.severity, c.severity)],
    ['cluster', anyGlob(m.cluster, clusterOf(e) ?? '')],
    [
      'metadata',
      Object.entries(m.metadata ?? {}).every(([k, globs]) => {
        const v = e.metadata[k];
        return typeof v === 'string' && anyGlob(globs, v);
      }),
    ],
  ];
  if (checks.some(([, ok]) => !ok)) return undefined;
  const used = checks.filter(([k]) => m[k]).map(([k]) => `${k} ${JSON.stringify(m[k])}`);
  return used.length ? `match ${used.join(', ')}` : 'no match criteria (catches everything)';
}

/** Why a matching route still drops the event (noise control), or undefined to send it. */
export function filteredOut(route: Route, e: FlaggerEvent, c: Classification): string | undefined {
  const message = e.metadata.eventMessage;
  const excluded = route.exclude.find((r) => r.test(message));
  if (excluded) return `excluded by ${excluded}`;
  if (route.include.length && !route.include.some((r) => r.test(message)))
    return 'matches no include pattern';
  if (route.minSeverity && SEVERITY_RANK[c.severity] < SEVERITY_RANK[route.minSeverity]) {
    return `severity ${c.severity} below minSeverity ${route.minSeverity}`;
  }
  if (route.only && !route.only.includes(c.kind))
    return `kind ${c.kind} not in only ${JSON.stringify(route.only)}`;
  return undefined;
}

/**
 * Whether a route's `match` could select this canary's events, judged on what a canary has
 * (namespace, name, cluster, metadata); what only an event has (phase, kind, severity) is left
 * out. A digest covers the canaries its routes select (docs/fleet.md).
 */
export function matchesCanary(
  route: Route,
  c: { namespace: string; name: string; cluster?: string; meta?: Record<string, string> },
): boolean {
  const m = route.match;
  return (
    anyGlob(m.namespace, c.namespace) &&
    anyGlob(m.name, c.name) &&
    anyGlob(m.cluster, c.cluster ?? '') &&
    Object.entries(m.metadata ?? {}).every(([k, globs]) => {
      const v = c.meta?.[k];
      return typeof v === 'string' && anyGlob(globs, v);
    })
  );
}

/** What a route's `match` says of canaries (no event criteria): a fleet page's signed scope. */
export type CanaryMatch = Pick<Route['match'], 'namespace' | 'name' | 'cluster' | 'metadata'>;

/**
 * The canaries some routes select, as their canary criteria; undefined when one of them selects
 * every canary (no namespace, name, cluster or metadata criteria): no scope at all.
 */
export function canaryScope(routes: readonly Route[]): CanaryMatch[] | undefined {
  const scope: CanaryMatch[] = [];
  for (const r of routes) {
    const { namespace, name, cluster, metadata } = r.match;
    const m: CanaryMatch = {
      ...(namespace ? { namespace } : {}),
      ...(name ? { name } : {}),
      ...(cluster ? { cluster } : {}),
      ...(metadata && Object.keys(metadata).length ? { metadata } : {}),
    };
    if (!Object.keys(m).length) return undefined;
    scope.push(m);
  }
  return scope.length ? scope : undefined;
}

/** Whether any of the scope's matches selects the canary (no scope: every canary). */
export const inCanaryScope = (
  scope: readonly CanaryMatch[] | undefined,
  c: Parameters<typeof matchesCanary>[1],
): boolean =>
  !scope ||
  scope.some((match) => matchesCanary({ match, include: [], exclude: [], to: [], continue: false }, c));
