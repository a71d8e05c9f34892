import { lambdaHandler } from '../lib/aws/handler';
import { record } from '../lib/aws/metrics';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { loadDestinations } from '../lib/config/destinations';
import { logger } from '../lib/log';
import { runStatus } from '../lib/ops/status';
import { parseChannels } from '../lib/providers/catalog';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoRolloutStore } from '../lib/stores/rollouts';

// EventBridge → every minute: the CanaryStatus gauge for failed canaries and the re-sending of
// firing Alertmanager alerts (lib/ops/status.ts). Its destinations are the deploy's providers
// that have periodic work (CHANNELS), read like a worker reads its own.
async function init() {
  const scheduled = (parseChannels(process.env.CHANNELS) ?? []).filter((p) => p.scheduled);
  const routingFile = Boolean(process.env.CONFIG_PARAM || process.env.CONFIG_FILE);
  const env = await resolveSecrets(
    process.env,
    [
      { name: 'CONFIG', optional: true },
      ...scheduled.flatMap((p) =>
        p.secrets.map((name) => ({ name, optional: routingFile || name !== p.on })),
      ),
    ],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const { table, client } = stateTable(env, 'the status function reads rollout state');
  const store = dynamoRolloutStore(table, client);
  const senders = (await Promise.all(scheduled.map((p) => loadDestinations(env, p, () => store)))).flatMap(
    (d) => Object.values(d.destinations).map((x) => x.sender),
  );
  return { store, senders };
}

export const handler = lambdaHandler(init, async ({ store, senders }, _event: unknown) => {
  const result = await runStatus({
    store,
    senders,
    gauge: (canary, value) => record('CanaryStatus', { ...canary }, value),
  });
  // Every minute, deployed: a line only when there is something to say.
  if (result.failedCanaries || result.refreshed) logger.info('status', result);
  return result;
});
