import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { lambdaHandler } from '../lib/aws/handler';
import { resolveSecrets, ssmFetcher } from '../lib/aws/secrets';
import { ACCESS_SECRETS, loadAccess } from '../lib/config/clusters';
import { TOKEN_HELP } from '../lib/ingest/auth';
import { identify, resolveCluster } from '../lib/ingest/clusters';
import { stateTable } from '../lib/stores/dynamo';
import { dynamoGateStore, dynamoStoryStore } from '../lib/stores/story';
import { approvalTtl, handleGate, parseGateBody } from '../lib/web/gates';

// POST /gate/{check|open|close} and /rollback/{check|open|close}: Flagger's confirm and rollback
// webhooks, as the loadtester answers them, with ingest's token (docs/gates.md).
async function init() {
  const env = await resolveSecrets(
    process.env,
    [...ACCESS_SECRETS],
    ssmFetcher(process.env.AWS_REGION ?? 'us-east-1', process.env.SSM_ENDPOINT),
  );
  const { table, client } = stateTable(env, 'gates live in it');
  return {
    // As ingest: the same tokens and clusters; a deployed stage's gates are never open to anyone.
    access: loadAccess(env),
    stories: dynamoStoryStore(table, client),
    gates: dynamoGateStore(table, client),
    rules: { ttlMs: approvalTtl(env) },
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
    const query = event.queryStringParameters ?? {};
    const caller = identify(deps.access, query, event.headers?.authorization);
    if (!caller) return text(401, TOKEN_HELP);
    const kind = event.rawPath.startsWith('/rollback/') ? 'rollback' : 'gate';
    const action = event.pathParameters?.action;
    if (action !== 'check' && action !== 'open' && action !== 'close')
      return text(404, `unknown action: POST /${kind}/check, /${kind}/open or /${kind}/close`);
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
    const target = parseGateBody(body);
    if (typeof target === 'string') return text(400, target);
    // In a fleet, the canary's cluster: its token's, or `?cluster=` on the webhook's URL.
    const where = resolveCluster(
      deps.access,
      caller,
      query.cluster !== undefined ? { query: query.cluster } : {},
    );
    if ('error' in where) return text(where.status, where.error);
    // Who and how, as the caller says (the token authenticates; these only label the audit trail).
    const how = event.headers?.['x-flagger-notify-how'] === 'cli' ? 'cli' : 'api';
    const by = (event.headers?.['x-flagger-notify-by'] ?? how).replace(/[^\w.@-]/g, '').slice(0, 64) || how;
    const answer = await handleGate(kind, action, { ...target, ...where }, { by, how }, deps);
    return text(answer.statusCode, answer.body);
  },
);
