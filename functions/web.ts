import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaHandler } from '../lib/aws/handler';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoFleetStore } from '../lib/stores/fleet';
import { dynamoGateStore, dynamoStoryStore, firstSeenStore } from '../lib/stores/story';
import { approvalTtl } from '../lib/web/gates';
import { NONCE_SECONDS } from '../lib/web/nonce';
import { pageApprovers } from '../lib/web/page-actions';
import { handleWeb } from '../lib/web/web';

// GET /rollouts/{namespace}/{name}/{rollout}: the page behind every message's link, and POST to
// it: the page's Approve / Roll back form (docs/rollout-page.md, docs/gates.md); GET /fleet: every
// canary at a glance (docs/fleet.md).
async function init() {
  const env = await resolveSecrets(
    process.env,
    [{ name: 'LINK_SECRET', optional: true }],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const { table, client } = stateTable(env, 'the rollout pages are read from it');
  return {
    stories: dynamoStoryStore(table, client),
    fleet: dynamoFleetStore(table, client),
    gates: dynamoGateStore(table, client),
    secret: env.LINK_SECRET || undefined,
    actions: {
      approvers: pageApprovers(env),
      ttlMs: approvalTtl(env),
      firstSeen: firstSeenStore(table, client, 'page-form', NONCE_SECONDS + 600),
    },
  };
}

export const handler = lambdaHandler(
  init,
  async (deps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
    handleWeb(
      {
        method: event.requestContext.http.method,
        route: event.routeKey.split(' ')[1] ?? '',
        params: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        headers: event.headers ?? {},
        body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8'),
      },
      deps,
    ),
);
