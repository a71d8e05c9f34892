import { resolveSecrets, ssmFetcher } from '../aws/secrets';
import { loadDestinations } from '../config/destinations';
import { loadLinks } from '../config/links';
import { logger } from '../log';
import { parseChannels } from '../providers/catalog';
import type { Sender } from '../providers/provider';
import { signedLink } from '../rollouts/links';
import { loadRouting } from '../routing/config';
import { digestRecords } from '../stores/digests';
import { stateTable } from '../stores/dynamo';
import { dynamoFleetStore } from '../stores/fleet';
import { dynamoHeldStore } from '../stores/held';
import { dynamoRolloutStore } from '../stores/rollouts';
import { fleetPath } from '../web/fleet';
import type { ScheduleDeps } from './schedules';

/**
 * The status function's cold start (functions/status.ts): its secrets, the rollout store, the
 * senders with periodic work (Alertmanager) and, where the routing file has digests or quiet
 * hours, the senders of the destinations they go to, read like a worker reads its own.
 */
export async function statusSetup() {
  const channels = parseChannels(process.env.CHANNELS) ?? [];
  const routingFile = Boolean(process.env.CONFIG_PARAM || process.env.CONFIG_FILE);
  // Reports are configured in a routing file only: without one, only Alertmanager's secrets.
  const periodic = channels.filter((p) => p.scheduled || (routingFile && p.reports));
  const env = await resolveSecrets(
    process.env,
    [
      { name: 'CONFIG', optional: true },
      // The fleet link in reports; a stack without a provider that takes them never reads it.
      ...(periodic.some((p) => p.reports) ? [{ name: 'LINK_SECRET', optional: true }] : []),
      ...periodic.flatMap((p) =>
        p.secrets.map((name) => ({ name, optional: routingFile || name !== p.on || !p.scheduled })),
      ),
    ],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const { table, client } = stateTable(env, 'the status function reads rollout state');
  const store = dynamoRolloutStore(table, client);
  // Which destinations want reports: names and types only (without a routing file there are
  // none, and no provider's options are read for it).
  const routing = await loadRouting(
    env,
    channels.map((p) => p.id),
    { options: false },
  );
  const schedules = routing.schedules;
  const wanted = new Set([...(schedules?.digests.flatMap((t) => t.to) ?? []), ...(schedules?.held ?? [])]);
  const needed = channels.filter(
    (p) =>
      p.scheduled || Object.values(routing.destinations).some((d) => d.type === p.id && wanted.has(d.name)),
  );
  const loaded = await Promise.all(
    // A routing file is read once, above; without one each provider's destination comes from its
    // own variables, which only loadDestinations reads.
    needed.map(async (p) => ({
      p,
      ...(await loadDestinations(env, p, () => store, routing.source === 'env' ? undefined : routing)),
    })),
  );
  const refreshers = loaded
    .filter((l) => l.p.scheduled)
    .flatMap((l) => Object.values(l.destinations).map((d) => d.sender));
  const reporters: Record<string, Sender> = {};
  for (const l of loaded)
    for (const [name, d] of Object.entries(l.destinations)) if (wanted.has(name)) reporters[name] = d.sender;
  const links = schedules ? loadLinks(env) : undefined;
  if (schedules?.digests.length && !links)
    logger.warn(
      'digests read the rollouts kept for their pages: set LINK_SECRET and PUBLIC_URL, or they stay empty',
    );
  const scheduled: ScheduleDeps | undefined = schedules && {
    schedules,
    senders: reporters,
    fleet: dynamoFleetStore(table, client),
    held: dynamoHeldStore(table, client),
    records: digestRecords(table, client),
    ...(links ? { fleetLink: (scope) => signedLink(links.secret, links.base, fleetPath(scope)) } : {}),
  };
  return { store, senders: refreshers, scheduled };
}
