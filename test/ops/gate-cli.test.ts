// `flagger-notify gate … --stage prod`: the stage's API URL and ingest token come from SSM, as the
// stack keeps them; what cannot be found is said plainly, never a token.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as cli } from '../../lib/ops/cli';
import { startFakeSsm } from '../helpers/fake-ssm';

const TOKEN = 'prod-ingest-token-0123456789abcdef';
const seen: { url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
const api = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    seen.push({ url: req.url, headers: req.headers, body });
    const ok = req.headers.authorization === `Bearer ${TOKEN}`;
    res.writeHead(ok ? 202 : 401).end(ok ? 'Gate opened' : 'unauthorized');
  });
});
let ssm: Awaited<ReturnType<typeof startFakeSsm>>;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  ssm = await startFakeSsm({
    '/flagger-notify/prod/api-url': url,
    '/flagger-notify/prod/ingest-token': TOKEN,
    '/flagger-notify/edge/api-url': url,
  });
});
afterAll(async () => {
  await ssm.close();
  api.close();
});

async function run(...argv: string[]) {
  const out: string[] = [];
  const code = await cli(argv, {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    env: { SSM_ENDPOINT: ssm.endpoint, USER: 'ana' },
  });
  return { code, out: out.join('\n') };
}

describe('flagger-notify gate … --stage (a deployed stage)', () => {
  it('finds the stage’s API and token in SSM and opens the gate there, as the CLI by $USER', async () => {
    expect(await run('gate', 'open', 'web/frontend', '--stage', 'prod', '--region', 'eu-west-1')).toEqual({
      code: 0,
      out: 'gate open frontend.web: 202 Gate opened',
    });
    const last = seen.at(-1);
    expect(last?.url).toBe('/gate/open');
    expect(JSON.parse(last?.body ?? '')).toEqual({ namespace: 'web', name: 'frontend' });
    expect(last?.headers['x-flagger-notify-by']).toBe('ana');
    // The token was read decrypted, the URL as a plain String parameter.
    expect(ssm.requests.map((r) => [r.name, r.decrypt])).toContainEqual([
      '/flagger-notify/prod/ingest-token',
      true,
    ]);
  });

  it('says which parameter is missing for a stage that is not deployed, and sends nothing', async () => {
    const before = seen.length;
    const r = await run('rollback', 'web/frontend', '--stage', 'nope');
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      'cannot find the gates of stage nope: SSM parameter /flagger-notify/nope/api-url in us-east-1: not found',
    );
    expect(seen.length).toBe(before);
  });

  it('names the missing token parameter without guessing a token', async () => {
    const r = await run('gate', 'status', 'web/frontend', '--stage', 'edge');
    expect(r).toEqual({
      code: 1,
      out: 'cannot find the gates of stage edge: SSM parameter /flagger-notify/edge/ingest-token in us-east-1: not found',
    });
  });
});
