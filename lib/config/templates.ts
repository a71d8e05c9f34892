import type { QueuedEvent } from '../aws/queue';
import type { WorkerConfig } from '../delivery/worker';
import { logger } from '../log';
import { reduce } from '../rollouts/tracker';
import type { RoutingConfig } from '../routing/config';
import { type CompiledTemplate, compileTemplate, templateVars } from '../routing/template';

/**
 * A worker's templates, compiled once at cold start: its destinations' own, and the routes'
 * (a route's template replaces its destinations' for the events it sends). Undefined without
 * any, so a stack without templates never loads the engine.
 */
export async function loadWording(
  routing: RoutingConfig,
  destinations: readonly string[],
): Promise<WorkerConfig['wording']> {
  const t = routing.templates;
  if (!t) return undefined;
  const own = new Map<string, CompiledTemplate>();
  const byRoute = new Map<string, CompiledTemplate>();
  for (const name of destinations) {
    const located = t.destinations[name];
    if (located) own.set(name, await compileTemplate(located.def, located.where));
  }
  for (const [label, located] of Object.entries(t.routes))
    byRoute.set(label, await compileTemplate(located.def, located.where));
  if (!own.size && !byRoute.size) return undefined;
  return (queued: QueuedEvent, rollout, link) => {
    const template =
      (queued.via !== undefined ? byRoute.get(queued.via) : undefined) ?? own.get(queued.destination ?? '');
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
