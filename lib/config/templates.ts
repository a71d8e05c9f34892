import type { QueuedEvent } from '../aws/envelope';
import type { WorkerConfig } from '../delivery/worker';
import { logger } from '../log';
import { own } from '../own';
import { reduce } from '../rollouts/tracker';
import type { RoutingConfig } from '../routing/config';
import { type CompiledTemplate, templateVars } from '../routing/template';

/**
 * A worker's wording: its destinations' templates and the routes' (a route's template replaces
 * its destinations' for the events it sends), as the routing file's load parsed them. Undefined
 * without any, so a stack without templates never loads the engine.
 */
export function loadWording(
  routing: RoutingConfig,
  destinations: readonly string[],
): WorkerConfig['wording'] {
  const t = routing.templates;
  const mine = new Map<string, CompiledTemplate>();
  for (const name of destinations) {
    const compiled = t && own(t.destinations, name);
    if (compiled) mine.set(name, compiled);
  }
  const byRoute = t?.routes ?? {};
  if (!mine.size && !Object.keys(byRoute).length) return undefined;
  return (queued: QueuedEvent, rollout, link) => {
    const template = own(byRoute, queued.via) ?? mine.get(queued.destination ?? '');
    if (!template) return undefined;
    const out = template.render(
      templateVars(queued.event, rollout ?? reduce(undefined, queued.event).rollout, link),
    );
    if ('error' in out) {
      // Never a lost or half-worded message: the default wording goes out, and the log says why.
      logger.warn('template cannot word this event; sent with the default wording', { error: out.error });
      return undefined;
    }
    return out.wording;
  };
}
