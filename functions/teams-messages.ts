import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaHandler } from '../lib/aws/handler';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { isDeployed } from '../lib/env';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoGateStore, dynamoStoryStore, firstSeenStore } from '../lib/stores/story';
import { approvalTtl } from '../lib/web/gates';
import { botFrameworkVerifier } from '../lib/web/teams-auth';
import { handleTeamsActivity } from '../lib/web/teams-interactions';
import { teamsDestinations, teamsOpenIdUrl } from '../lib/web/teams-setup';

// POST /teams/messages: the Teams bot's messaging endpoint (docs/providers/teams-bot.md).
async function init() {
  const env = await resolveSecrets(
    process.env,
    [
      { name: 'TEAMS_APP_PASSWORD', optional: true },
      { name: 'CONFIG', optional: true },
    ],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const { table, client } = stateTable(env, 'gates live in it');
  const { appId, destinations } = await teamsDestinations(env);
  return {
    ...(appId
      ? { verify: botFrameworkVerifier({ appId, openIdUrl: teamsOpenIdUrl(env, isDeployed(env)) }) }
      : {}),
    destinations,
    // An activity id is handled once: Bot Framework tokens are bearer tokens, reusable for an hour.
    firstSeen: firstSeenStore(table, client, 'teams-seen', 3600),
    stories: dynamoStoryStore(table, client),
    gates: dynamoGateStore(table, client),
    ttlMs: approvalTtl(env),
    ...(env.DASHBOARD_URL ? { dashboardUrl: env.DASHBOARD_URL } : {}),
  };
}

export const handler = lambdaHandler(
  init,
  async (deps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const json = (statusCode: number, body: unknown) => ({
      statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!deps.verify) return json(404, { error: 'the Teams bot is off: TEAMS_APP_PASSWORD is not set' });
    const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
    const res = await handleTeamsActivity(event.headers ?? {}, raw, { ...deps, verify: deps.verify });
    return json(res.statusCode, res.body);
  },
);
