import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaHandler } from '../lib/aws/handler';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoGateStore, dynamoStoryStore } from '../lib/stores/story';
import { handleWeb } from '../lib/web/web';

// GET /rollouts/{namespace}/{name}/{rollout}: the page behind every message's link (docs/rollout-page.md).
async function init() {
  const env = await resolveSecrets(
    process.env,
    [{ name: 'LINK_SECRET', optional: true }],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const { table, client } = stateTable(env, 'the rollout pages are read from it');
  return {
    stories: dynamoStoryStore(table, client),
    gates: dynamoGateStore(table, client),
    secret: env.LINK_SECRET || undefined,
  };
}

export const handler = lambdaHandler(
  init,
  async (deps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
    handleWeb(
      {
        method: event.requestContext.http.method,
        params: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
      },
      deps,
    ),
);
