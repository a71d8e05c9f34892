import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaHandler } from '../lib/aws/handler';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { isDeployed } from '../lib/env';
import { ConfigError } from '../lib/errors';
import { authorized, TOKEN_HELP } from '../lib/ingest/auth';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoGateStore, dynamoStoryStore } from '../lib/stores/story';
import { handleGate, parseGateBody } from '../lib/web/gates';

// POST /gate/{check|open|close} and /rollback/{check|open|close}: Flagger's confirm and rollback
// webhooks, as the loadtester answers them, with ingest's token (docs/gates.md).
async function init() {
  const env = await resolveSecrets(
    process.env,
    [
      { name: 'INGEST_TOKEN', optional: true },
      { name: 'INGEST_TOKEN_PREVIOUS', optional: true },
    ],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  // As ingest: a deployed stage's gates are never open to anyone with the URL.
  if (isDeployed(env) && !env.INGEST_TOKEN)
    throw new ConfigError(`INGEST_TOKEN: required in a deployed stage`);
  const { table, client } = stateTable(env, 'gates live in it');
  return {
    tokens: [env.INGEST_TOKEN, env.INGEST_TOKEN_PREVIOUS].filter((t): t is string => Boolean(t)),
    stories: dynamoStoryStore(table, client),
    gates: dynamoGateStore(table, client),
  };
}

const text = (statusCode: number, body: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body,
});

export const handler = lambdaHandler(
  init,
  async (deps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    // API Gateway routes only POST here; npm start's server and a misrouted GET get told so.
    if (event.requestContext?.http?.method && event.requestContext.http.method !== 'POST')
      return text(405, 'gates are POSTed: a GET never opens or closes one');
    if (!authorized(deps.tokens, event.queryStringParameters ?? {}, event.headers?.authorization))
      return text(401, TOKEN_HELP);
    const kind = event.rawPath.startsWith('/rollback/') ? 'rollback' : 'gate';
    const action = event.pathParameters?.action;
    if (action !== 'check' && action !== 'open' && action !== 'close')
      return text(404, `unknown action: POST /${kind}/check, /${kind}/open or /${kind}/close`);
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
    const target = parseGateBody(body);
    if (typeof target === 'string') return text(400, target);
    // Who and how, as the caller says (the token authenticates; these only label the audit trail).
    const how = event.headers?.['x-flagger-notify-how'] === 'cli' ? 'cli' : 'api';
    const by = (event.headers?.['x-flagger-notify-by'] ?? how).replace(/[^\w.@-]/g, '').slice(0, 64) || how;
    const answer = await handleGate(kind, action, target, { by, how }, deps);
    return text(answer.statusCode, answer.body);
  },
);
