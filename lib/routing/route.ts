import { type Classification, classify } from '../event/classify';
import type { FlaggerEvent } from '../event/event';
import type { RoutingConfig } from './config';
import { filteredOut, matchReason, routeLabel } from './match';

export interface Step {
  route: string;
  outcome: 'sent' | 'filtered' | 'skipped';
  reason: string;
  to: string[];
  muteSeconds?: number;
}

export interface Decision {
  /** What the event is, as the routes saw it (reused for mute keys). */
  classification: Classification;
  /** Destination names, each once, in route order. */
  destinations: string[];
  /** What each route considered did, for logs and `check-config`. */
  steps: Step[];
}

export { routeLabel };

/**
 * Alertmanager-style: routes in order, the first that matches decides unless it says `continue`.
 * A named route (POST /events/{route}) is taken directly, its match criteria skipped but its noise
 * control applied. Pure: muting, which needs state, is the caller's.
 */
export function routeEvent(event: FlaggerEvent, config: RoutingConfig, routeName?: string): Decision {
  const c = classify(event);
  const steps: Step[] = [];
  const candidates = routeName
    ? config.routes.map((r, i) => [r, i] as const).filter(([r]) => r.name === routeName)
    : config.routes.map((r, i) => [r, i] as const);
  for (const [route, i] of candidates) {
    const label = routeLabel(route, i);
    const matched = routeName ? `selected by /events/${routeName}` : matchReason(route, event, c);
    if (!matched) continue;
    const dropped = filteredOut(route, event, c);
    steps.push(
      dropped
        ? { route: label, outcome: 'filtered', reason: `${matched}; ${dropped}`, to: route.to }
        : { route: label, outcome: 'sent', reason: matched, to: route.to, muteSeconds: route.muteSeconds },
    );
    if (!route.continue) break;
  }
  const destinations = [...new Set(steps.filter((s) => s.outcome === 'sent').flatMap((s) => s.to))];
  return { classification: c, destinations, steps };
}
