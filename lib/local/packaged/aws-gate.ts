import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { neededFor } from './aws-calls';
import { authorize, type Statement } from './iam';
import type { SsmStandIn } from './ssm';

/** One AWS request a packaged function (or its event source) made, and IAM's verdict. */
export interface AwsCall {
  role: string;
  service: string;
  operation: string;
  action: string;
  resource: string;
  allowed: boolean;
}

export interface AwsGateOptions {
  region: string;
  account: string;
  /** Each role's statements (iam.ts rolePolicies). */
  roles: Map<string, Statement[]>;
  /** Where allowed requests go: fauxqs and dynalite. SSM is answered here. */
  upstream: { sqs: string; dynamodb: string };
  ssm: SsmStandIn;
  /** Told of each call as it is judged (npm start prints the denied ones at once). */
  onCall?: (call: AwsCall, message?: string) => void;
}

const JSON_TYPE: Record<string, string> = {
  sqs: 'application/x-amz-json-1.0',
  dynamodb: 'application/x-amz-json-1.0',
  ssm: 'application/x-amz-json-1.1',
};

/**
 * The AWS endpoint every packaged function talks to, in front of the local stand-ins. It knows
 * the caller by its access key (each function runs with its role's name as the key id, as Lambda
 * hands a function its role's credentials) and the service by the SigV4 credential scope, and
 * judges each request against the role's policies before it reaches the stand-in. A call the role
 * does not allow gets AccessDeniedException, in AWS's words; every call is recorded either way.
 */
export async function startAwsGate(o: AwsGateOptions) {
  const calls: AwsCall[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const [, keyId, service] =
      /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? '')) ?? [];
    const type = JSON_TYPE[service ?? ''] ?? 'application/x-amz-json-1.0';
    const fail = (status: number, errorType: string, message: string, query?: string) => {
      res.writeHead(status, {
        'content-type': type,
        'x-amzn-errortype': errorType,
        ...(query ? { 'x-amzn-query-error': query } : {}),
      });
      res.end(JSON.stringify({ __type: errorType, message }));
    };
    const statements = keyId ? o.roles.get(keyId) : undefined;
    if (!statements || !service)
      return fail(
        400,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    const op =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      return fail(400, 'SerializationException', 'request body is not JSON');
    }
    const needs = neededFor(service, op, body, o);
    if (!needs?.length)
      return fail(400, 'UnknownOperationException', `${service} ${op} is not judged locally`);
    for (const need of needs) {
      const verdict = authorize(statements, { role: keyId as string, ...need });
      const call = { role: keyId as string, service, operation: op, ...need, allowed: verdict.allowed };
      calls.push(call);
      o.onCall?.(call, verdict.allowed ? undefined : verdict.message);
      if (!verdict.allowed)
        return fail(
          400,
          'AccessDeniedException',
          verdict.message,
          service === 'sqs' ? 'AccessDenied;Sender' : undefined,
        );
    }
    if (service === 'ssm') {
      const out = o.ssm.answer(op, body);
      res.writeHead(out.status, {
        'content-type': type,
        ...(out.status >= 400 ? { 'x-amzn-errortype': String(out.body.__type) } : {}),
      });
      return res.end(JSON.stringify(out.body));
    }
    const base =
      service === 'sqs' ? o.upstream.sqs : service === 'dynamodb' ? o.upstream.dynamodb : undefined;
    if (!base) return fail(400, 'UnknownOperationException', `no local ${service}`);
    forward(base, req, raw, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    calls,
    /** The credentials Lambda would hand a function running as `role`. */
    credentials: (role: string) => ({ accessKeyId: role, secretAccessKey: 'local-packaged-secret' }),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function forward(base: string, req: IncomingMessage, body: Buffer, res: ServerResponse) {
  const to = new URL(req.url ?? '/', base);
  const up = request(
    to,
    { method: req.method, headers: { ...req.headers, host: to.host, 'content-length': body.length } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  up.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`local stand-in unreachable: ${err.message}`);
  });
  up.end(body);
}
