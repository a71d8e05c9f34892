import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaHandler } from '../lib/aws/handler';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoGateStore, dynamoStoryStore, slackSeenStore } from '../lib/stores/story';
import { approvalTtl } from '../lib/web/gates';
import { handleSlackInteraction } from '../lib/web/slack-interactions';
import { slackDestinations } from '../lib/web/slack-setup';

// POST /slack/interactions: Approve and Roll back clicks from the Slack app's live message.
async function init() {
  const env = await resolveSecrets(
    process.env,
    [
      { name: 'SLACK_SIGNING_SECRET', optional: true },
      // The destinations answer the click in the message and its thread with their bot token.
      { name: 'CONFIG', optional: true },
      { name: 'SLACK_BOT_TOKEN', optional: true },
    ],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const { table, client } = stateTable(env, 'gates live in it');
  return {
    secret: env.SLACK_SIGNING_SECRET || undefined,
    destinations: await slackDestinations(env),
    firstSeen: slackSeenStore(table, client),
    stories: dynamoStoryStore(table, client),
    gates: dynamoGateStore(table, client),
    ttlMs: approvalTtl(env),
  };
}

export const handler = lambdaHandler(
  init,
  async (deps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const text = (statusCode: number, body: string, json = false) => ({
      statusCode,
      headers: { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' },
      body,
    });
    if (!deps.secret) return text(404, 'Slack interactivity is off: SLACK_SIGNING_SECRET is not set');
    const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
    const res = await handleSlackInteraction(event.headers ?? {}, raw, { ...deps, secret: deps.secret });
    return text(res.statusCode, res.body, res.json);
  },
);
