import type { SQSHandler } from 'aws-lambda';
import { slack } from '../lib/channels/slack';
import { loadWorkerConfig } from '../lib/config';
import { createSqsClient } from '../lib/queue';
import { coldStart, resolveSecrets, ssmFetcher } from '../lib/secrets';
import { createWorker } from '../lib/worker';

// Cold start: the webhook URL from SSM (deployed) or env (local), then every setting validated
// once; a bad one (SLACK_WEBHOOK_URL, …) fails each invocation naming the variable, and the
// messages stay queued.
const ready = coldStart(async () => {
  const env = await resolveSecrets(
    process.env,
    [{ name: 'SLACK_WEBHOOK_URL' }],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const config = loadWorkerConfig(env, slack);
  return createWorker(slack, config, createSqsClient(config.sqs, 5000));
});

export const handler: SQSHandler = async (event, context) => (await ready())(event, context);
