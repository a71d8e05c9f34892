import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toHttpApiEvent } from '../http';
import type { RunningFunction } from './runtime';
import { ofType, type Template, targetOf } from './template';

/**
 * The template's HTTP API: each route (`POST /events/{route}`) to its integration's function, with
 * the payload format 2.0 event; a path no route matches is 404 and reaches no function, and an
 * error thrown by a function is a 500, as API Gateway answers them.
 */
export async function httpApi(
  port: number,
  tls: { key: Buffer; cert: Buffer },
  routes: ApiRoute[],
  fn: (id: string) => RunningFunction | undefined,
) {
  const server: Server = createServer(tls, async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = routes.find((r) => r.method === req.method && r.re.test(url.pathname));
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (!route) return send(404, '{"message":"Not Found"}');
    const target = fn(route.functionId);
    if (!target) return send(500, '{"message":"Internal Server Error"}');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const match = url.pathname.match(route.re) ?? [];
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')]));
    const out = await target.invoke(
      toHttpApiEvent(req, Buffer.concat(chunks), `${route.method} ${route.path}`, params),
    );
    if ('error' in out) return send(500, '{"message":"Internal Server Error"}');
    const r = out.result as APIGatewayProxyStructuredResultV2;
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const body = r.isBase64Encoded ? Buffer.from(r.body ?? '', 'base64') : (r.body ?? '');
    res.writeHead(r.statusCode ?? 200, headers);
    res.end(body);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return server;
}

export interface ApiRoute {
  method: string;
  path: string;
  functionId: string;
  re: RegExp;
  names: string[];
}

/** `POST /events/{route}` → its integration → the function it invokes, from the template. */
export function apiRoutes(t: Template): ApiRoute[] {
  return ofType(t, 'AWS::ApiGatewayV2::Route').map(([id, r]) => {
    const [method = '', path = ''] = String(r.Properties.RouteKey).split(' ');
    const join = (r.Properties.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const integration = t.Resources[targetOf(join[1][1])];
    if (!integration) throw new Error(`${id}: its integration is not in the template`);
    return {
      method,
      path,
      functionId: targetOf(integration.Properties.IntegrationUri),
      names: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
      re: new RegExp(`^${path.replace(/\{\w+\}/g, '([^/]+)')}$`),
    };
  });
}
