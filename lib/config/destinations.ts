import * as z from 'zod/mini';
import { type Env, isDeployed, optionalEnv, parseEnv } from '../env';
import { ConfigError } from '../errors';
import { providerById } from '../providers/catalog';
import { type Destination, dashboardTemplate, type EventsMode, type Provider } from '../providers/provider';
import { memoryRolloutStore } from '../rollouts/memory-store';
import type { RolloutStore } from '../rollouts/state';
import { loadRouting, type RoutingConfig } from '../routing/config';

export type { Destination };

const schema = z.object({
  DASHBOARD_URL: optionalEnv(dashboardTemplate),
  WEBHOOK_ALLOWED_HOSTS: optionalEnv(z.string()),
  EVENTS: optionalEnv(z.enum(['live', 'milestones', 'all'], { error: 'must be live, milestones or all' })),
  STATE_TABLE: optionalEnv(z.string()),
});

/**
 * What every destination shares, from the environment: the dashboard link, whether this is a
 * deployed stage (https and known hosts only), and the hosts WEBHOOK_ALLOWED_HOSTS adds.
 */
export function commonSettings(env: Env, parsed = parseEnv(schema, env, 'destinations')) {
  return {
    dashboardUrl: parsed.DASHBOARD_URL,
    deployed: isDeployed(env),
    extraAllowedHosts: String(parsed.WEBHOOK_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
  };
}

/**
 * A provider's destinations (the routing file's, or its zero-config one), each checked by its
 * provider (URL, allowed host, options) so a bad one fails the cold start naming the destination
 * and field; with the rollout store when one of them keeps rollout state.
 */
export async function loadDestinations(
  env: Env,
  provider: Provider,
  makeStore?: (table: string) => RolloutStore,
  /** A routing file the caller already read: parsed (and its templates compiled) once. */
  read?: RoutingConfig,
): Promise<{ destinations: Record<string, Destination>; store?: RolloutStore; routing: RoutingConfig }> {
  const e = parseEnv(schema, env, `${provider.id} destinations`);
  const routing = read ?? (await loadRouting(env, [provider.id]));
  const common = commonSettings(env, e);
  const mine = Object.values(routing.destinations).filter((d) => d.type === provider.id);
  // The destination's own choice, else EVENTS where the provider can, else its default.
  const fromEnv = provider.modes.find((m) => m === e.EVENTS);
  const eventsOf = (d: (typeof mine)[number]): EventsMode =>
    d.events ?? fromEnv ?? (provider.modes[0] as EventsMode);
  const stateful = mine.filter((d) => eventsOf(d) !== 'all');
  let store: RolloutStore | undefined;
  if (stateful.length) {
    if (!e.STATE_TABLE || !makeStore) {
      throw new ConfigError(
        `STATE_TABLE: is not set, and ${stateful.map((d) => `"${d.name}"`).join(', ')} ${stateful.some((d) => eventsOf(d) === 'live') ? 'keeps a live message' : 'sends only milestones'}, which needs rollout state (set EVENTS=all to send every event without it)`,
      );
    }
    store = makeStore(e.STATE_TABLE);
  }
  const destinations: Record<string, Destination> = {};
  for (const d of mine) {
    destinations[d.name] = {
      name: d.name,
      sender: provider.create({ ...d, events: eventsOf(d) }, { ...common, store }),
      events: eventsOf(d),
    };
  }
  return { destinations, ...(store ? { store } : {}), routing };
}

/**
 * Each destination built as its worker builds it at cold start (its provider's checks: options a
 * routing file may leave out but the provider needs, formats, hosts), sending nothing: one line
 * per destination that no worker could deliver to, naming the file, line and field.
 * `skip` leaves out destinations whose values are not known here (an unset ${VAR}).
 */
export function destinationProblems(
  env: Env,
  routing: RoutingConfig,
  skip: (d: RoutingConfig['destinations'][string]) => boolean = () => false,
): string[] {
  const common = { ...commonSettings(env), store: memoryRolloutStore() };
  const problems: string[] = [];
  for (const d of Object.values(routing.destinations)) {
    const provider = providerById(d.type);
    if (!provider || skip(d)) continue;
    try {
      provider.create({ ...d, events: d.events ?? (provider.modes[0] as EventsMode) }, common);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message);
    }
  }
  return problems;
}
