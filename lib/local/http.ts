import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { MAX_BODY_BYTES } from '../ingest/ingest';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/**
 * Keeps at most `limit + 1` bytes: enough for the handler to answer 413 without buffering a flood.
 * The rest is drained, not cut off, so the client still reads our answer.
 */
async function readCapped(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size <= limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, limit + 1);
}

/** The request as API Gateway's HTTP API (payload format 2.0) hands it to a function. */
export function toHttpApiEvent(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
  pathParameters?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query = Object.fromEntries(url.searchParams);
  const method = req.method ?? 'GET';
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(pathParameters && Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

const context = (functionName: string) =>
  ({
    functionName,
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 10_000,
  }) as Context;

/**
 * Serves one HTTP API route with the same handler Lambda runs. Like API Gateway, a path that no
 * route matches is a 404 that never reaches the function.
 */
export async function startHttpApi(o: {
  port: number;
  /** Route paths as serverless.yml writes them: `/events`, `/events/{route}`. */
  paths: string[];
  functionName: string;
  handler: HttpHandler;
  /** Paths outside the API (the local inbox): answers and returns true when it took the request. */
  extra?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  /** The API's other functions (the rollout pages), each on its own routes. */
  others?: { paths: string[]; functionName: string; handler: HttpHandler }[];
}): Promise<{ url: string; port: number; server: Server; close(): Promise<void> }> {
  // `{name}` segments become path parameters, as API Gateway does.
  const fns = [{ paths: o.paths, functionName: o.functionName, handler: o.handler }, ...(o.others ?? [])];
  const routes = fns.flatMap((f) =>
    f.paths.map((p) => ({
      path: p,
      fn: f,
      names: [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
      re: new RegExp(`^${p.replace(/\{\w+\}/g, '([^/]+)')}$`),
    })),
  );
  const server = createServer(async (req, res) => {
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers, connection: 'close' });
      res.end(body);
    };
    try {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (o.extra && (await o.extra(req, res, path))) return;
      const route = routes.find((r) => r.re.test(path));
      if (!route) return send(404, JSON.stringify({ error: `no route for ${path}: POST to ${o.paths[0]}` }));
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(
          route.names.map((n, i) => [n, decodeURIComponent(path.match(route.re)?.[i + 1] ?? '')]),
        );
      } catch {
        // `/events/%ZZ`: API Gateway refuses a malformed percent-encoding with 400 before any function.
        return send(400, JSON.stringify({ error: 'malformed path: bad percent-encoding' }));
      }
      const body = await readCapped(req, MAX_BODY_BYTES);
      const out = (await route.fn.handler(
        toHttpApiEvent(req, body, `${req.method} ${route.path}`, params),
        context(route.fn.functionName),
      )) as APIGatewayProxyStructuredResultV2;
      const headers = Object.fromEntries(Object.entries(out.headers ?? {}).map(([k, v]) => [k, String(v)]));
      send(out.statusCode ?? 200, req.method === 'HEAD' ? '' : (out.body ?? ''), headers);
    } catch (err) {
      // Lambda answers an unhandled error as 500 through API Gateway; so do we, and log why.
      console.error('ingest handler threw', err);
      send(500, JSON.stringify({ error: 'internal error' }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    port,
    url: `http://127.0.0.1:${port}${o.paths[0]}`,
    server,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
