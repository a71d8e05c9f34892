import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaHandler } from '../lib/aws/handler';
import { createSqsClient, enqueue } from '../lib/aws/queue';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { ACCESS_SECRETS } from '../lib/config/clusters';
import { loadIngestConfig } from '../lib/config/config';
import { handleIngest } from '../lib/ingest/ingest';
import { type MuteStore, memoryMuteStore } from '../lib/stores/mute';

// Cold start: tokens from SSM (deployed) or env (local), then every setting validated once; a bad
// one fails each invocation with a message naming the variable.
async function init() {
  const env = await resolveSecrets(
    process.env,
    // Either kind of token may be all a fleet has; loadAccess refuses a deployed stage with neither.
    [...ACCESS_SECRETS, { name: 'CONFIG', optional: true }],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const config = await loadIngestConfig(env);
  // Mute windows shared through the state table (DynamoDB when deployed, dynalite for npm start),
  // in memory without one. The DynamoDB client loads only when some route mutes: it is the
  // heaviest module of a cold start.
  const muting = config.routing.routes.some((r) => r.muteSeconds);
  let mute: MuteStore = memoryMuteStore();
  if (muting && env.STATE_TABLE) {
    const { createDynamoClient, dynamoMuteStore } = await import('../lib/stores/mute-dynamodb');
    mute = dynamoMuteStore(
      env.STATE_TABLE,
      createDynamoClient(config.sqs.region, env.DYNAMODB_ENDPOINT || undefined),
    );
  }
  return { config, sqs: createSqsClient(config.sqs), mute };
}

export const handler = lambdaHandler(
  init,
  async (
    { config, sqs, mute },
    event: APIGatewayProxyEventV2,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const res = await handleIngest(
      {
        id: event.requestContext.requestId,
        route: event.pathParameters?.route,
        method: event.requestContext.http.method,
        headers: event.headers ?? {},
        query: event.queryStringParameters ?? {},
        body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
      },
      {
        config,
        mute,
        enqueue: (t, e, meta) => enqueue(sqs, t.queueUrl, t.destination, e, meta),
      },
    );
    return {
      statusCode: res.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(res.body),
    };
  },
);
