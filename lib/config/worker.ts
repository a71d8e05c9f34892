import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../aws/handler';
import { resolveSecrets, ssmFetcher } from '../aws/secrets';
import { createWorker } from '../delivery/worker';
import { ConfigError } from '../errors';
import type { Provider } from '../providers/provider';
import { rememberedInBatch } from '../rollouts/state';
import { loadWorkerConfig } from './config';
import { loadLinks } from './links';

/**
 * The Lambda handler for one provider. Cold start: its secrets from SSM (deployed) or the
 * environment (local), then every destination checked once; a bad one fails each invocation
 * naming the destination and field, and the messages stay queued.
 */
export function workerHandler(provider: Provider) {
  return lambdaHandler(
    async () => {
      const routingFile = Boolean(process.env.CONFIG_PARAM || process.env.CONFIG_FILE);
      // The DynamoDB client (~10 ms to load) only with a state table to talk to, loaded while
      // SSM answers (the table's name is no secret).
      const stores = process.env.STATE_TABLE
        ? Promise.all([import('../stores/dynamo'), import('../stores/rollouts')])
        : undefined;
      stores?.catch(() => {});
      const env = await resolveSecrets(
        process.env,
        [
          { name: 'CONFIG', optional: true },
          { name: 'LINK_SECRET', optional: true },
          // With a routing file the destinations carry their own URLs and secrets.
          ...provider.secrets.map((name) => ({ name, optional: routingFile || name !== provider.on })),
        ],
        ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
      );
      const [dynamo, rollouts] = (env.STATE_TABLE && (await stores)) || [];
      const client = dynamo?.createDynamoClient(
        env.AWS_REGION ?? 'us-east-1',
        env.DYNAMODB_ENDPOINT || undefined,
      );
      const config = await loadWorkerConfig(
        env,
        provider,
        rollouts && client
          ? (table) => rememberedInBatch(rollouts.dynamoRolloutStore(table, client))
          : undefined,
      );
      if (client && env.STATE_TABLE) {
        const { deliveredOnce } = await import('../delivery/once');
        const { dynamoStoryStore } = await import('../stores/story');
        const { dynamoFleetStore } = await import('../stores/fleet');
        config.once = deliveredOnce(env.STATE_TABLE, client);
        // Rollout pages cost writes per delivery: kept only where they can be opened (LINK_SECRET).
        config.links = loadLinks(env);
        if (config.links) {
          config.stories = dynamoStoryStore(env.STATE_TABLE, client);
          config.fleet = dynamoFleetStore(env.STATE_TABLE, client);
        }
      }
      if (config.quiet) {
        // Held messages outlive the function: without a state table quiet hours cannot hold.
        if (!client || !env.STATE_TABLE)
          throw new ConfigError('STATE_TABLE: is not set, and quiet hours keep what they hold in it');
        const { dynamoHeldStore } = await import('../stores/held');
        config.held = dynamoHeldStore(env.STATE_TABLE, client);
      }
      // Its SQS client only when a record fails (dead letter, retry delay): not on the cold path.
      return createWorker(provider, config, () =>
        import('../aws/queue').then((q) => q.createSqsClient(config.sqs, 5000)),
      );
    },
    (worker, event: SQSEvent, context: Context): Promise<SQSBatchResponse> => worker(event, context),
  );
}
