import type { SQSHandler } from 'aws-lambda';
import { teams } from '../lib/channels/teams';
import { loadWorkerConfig } from '../lib/config';
import { createSqsClient } from '../lib/queue';
import { coldStart, resolveSecrets, ssmFetcher } from '../lib/secrets';
import { createWorker } from '../lib/worker';

// Cold start: the webhook URL from SSM (deployed) or env (local), then every setting validated
// once; a bad one (TEAMS_WEBHOOK_URL, …) fails each invocation naming the variable, and the
// messages stay queued.
const ready = coldStart(async () => {
  const env = await resolveSecrets(
    process.env,
    [{ name: 'TEAMS_WEBHOOK_URL' }],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const config = loadWorkerConfig(env, teams);
  return createWorker(teams, config, createSqsClient(config.sqs, 5000));
});

export const handler: SQSHandler = async (event, context) => (await ready())(event, context);
