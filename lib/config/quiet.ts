import type { QueuedEvent } from '../aws/envelope';
import type { WorkerConfig } from '../delivery/worker';
import { own } from '../own';
import type { RoutingConfig } from '../routing/config';
import { clockAt, type QuietWindow, quietUntil } from '../routing/schedule';

/**
 * A worker's quiet hours (docs/routing.md): its destinations' windows and the routes' (named on
 * the queued copy by ingest), joined; undefined without any, so most stacks never ask.
 */
export function loadQuiet(routing: RoutingConfig, destinations: readonly string[]): WorkerConfig['quiet'] {
  const q = routing.schedules?.quiet;
  const mine = new Map<string, QuietWindow[]>();
  for (const name of destinations) {
    const ws = q && own(q.destinations, name);
    if (ws) mine.set(name, ws);
  }
  const byRoute = q?.routes ?? {};
  if (!mine.size && !Object.keys(byRoute).length) return undefined;
  return (queued: QueuedEvent, now: number) => {
    const windows = [...(mine.get(queued.destination ?? '') ?? []), ...(own(byRoute, queued.quiet) ?? [])];
    const until = windows.length ? quietUntil(windows, now) : undefined;
    if (until === undefined) return undefined;
    // Said in the zone of the window it ends in (the first, when several are joined).
    return { until, when: clockAt(until, (windows[0] as QuietWindow).tz) };
  };
}
