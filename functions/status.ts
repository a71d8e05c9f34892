import { lambdaHandler } from '../lib/aws/handler';
import { record } from '../lib/aws/metrics';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { loadDestinations } from '../lib/config/destinations';
import { loadLinks } from '../lib/config/links';
import { logger } from '../lib/log';
import { digestsNow, runSchedules, type ScheduleDeps } from '../lib/ops/schedules';
import { runStatus } from '../lib/ops/status';
import { parseChannels } from '../lib/providers/catalog';
import type { Sender } from '../lib/providers/provider';
import { signedLink } from '../lib/rollouts/links';
import { loadRouting } from '../lib/routing/config';
import { digestRecords } from '../lib/stores/digests';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoFleetStore } from '../lib/stores/fleet';
import { dynamoHeldStore } from '../lib/stores/held';
import { dynamoRolloutStore } from '../lib/stores/rollouts';
import { fleetPath } from '../lib/web/fleet';

// EventBridge → every minute: the CanaryStatus gauge for failed canaries, the re-sending of
// firing Alertmanager alerts (lib/ops/status.ts), and the routing file's digests and quiet-hours
// summaries (lib/ops/schedules.ts); `{"digest": "now"}` sends every digest at once
// (`flagger-notify digest --now`). Its destinations are read like a worker reads its own.
async function init() {
  const channels = parseChannels(process.env.CHANNELS) ?? [];
  const routingFile = Boolean(process.env.CONFIG_PARAM || process.env.CONFIG_FILE);
  // Reports are configured in a routing file only: without one, only Alertmanager's secrets.
  const periodic = channels.filter((p) => p.scheduled || (routingFile && p.reports));
  const env = await resolveSecrets(
    process.env,
    [
      { name: 'CONFIG', optional: true },
      { name: 'LINK_SECRET', optional: true },
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
    needed.map(async (p) => ({ p, ...(await loadDestinations(env, p, () => store)) })),
  );
  const refreshers = loaded
    .filter((l) => l.p.scheduled)
    .flatMap((l) => Object.values(l.destinations).map((d) => d.sender));
  const reporters: Record<string, Sender> = {};
  for (const l of loaded)
    for (const [name, d] of Object.entries(l.destinations)) if (wanted.has(name)) reporters[name] = d.sender;
  const links = loadLinks(env);
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

export const handler = lambdaHandler(init, async ({ store, senders, scheduled }, event: unknown) => {
  if ((event as { digest?: unknown } | null)?.digest === 'now') {
    return { sent: scheduled ? await digestsNow(scheduled) : [] };
  }
  const result = await runStatus({
    store,
    senders,
    gauge: (canary, value) => record('CanaryStatus', { ...canary }, value),
  });
  const sent = scheduled ? await runSchedules(scheduled) : [];
  // Every minute, deployed: a line only when there is something to say.
  if (result.failedCanaries || result.refreshed || sent.length)
    logger.info('status', { ...result, sent: sent.length });
  return { ...result, sent };
});
