// What the CLI asks npm start for: POST only, its ingest token when it has one, a link signed with
// the run's secret; other paths are left to the inbox.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveLocalTools } from '../../lib/local/tools';
import { checkLink } from '../../lib/rollouts/links';

const env: NodeJS.ProcessEnv = {};
let digest: () => Promise<unknown> = async () => ({ sent: [] });
const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (!(await serveLocalTools(req, res, path, { env, digestNow: () => digest() })))
    res.writeHead(418).end('inbox');
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const call = async (path: string, o: { method?: string; token?: string } = {}) => {
  const res = await fetch(`${base}${path}`, {
    method: o.method ?? 'POST',
    headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined,
  };
};

describe('npm start’s local tools', () => {
  it('signs the fleet link with the run’s secret, for its own address', async () => {
    Object.assign(env, { LINK_SECRET: 'l'.repeat(40), PUBLIC_URL: 'http://127.0.0.1:3100' });
    const r = await call('/local/fleet-link');
    expect(r.status).toBe(200);
    const u = new URL(String(r.body?.url));
    expect(u.origin).toBe('http://127.0.0.1:3100');
    expect(
      checkLink('l'.repeat(40), '/fleet', u.searchParams.get('exp') ?? '', u.searchParams.get('sig') ?? ''),
    ).toBe('ok');
  });

  it('wants its ingest token when it has one, and POST', async () => {
    env.INGEST_TOKEN = 't'.repeat(24);
    expect((await call('/local/fleet-link')).status).toBe(401);
    expect((await call('/local/digest', { token: 'x'.repeat(24) })).status).toBe(401);
    expect((await call('/local/digest', { token: 't'.repeat(24) })).status).toBe(200);
    expect((await call('/local/digest', { method: 'GET', token: 't'.repeat(24) })).status).toBe(405);
    delete env.INGEST_TOKEN;
  });

  it('says why a digest failed, and that pages are off without a link secret; leaves other paths alone', async () => {
    digest = async () => {
      throw new Error('STATE_TABLE: is not set');
    };
    expect(await call('/local/digest')).toEqual({ status: 500, body: { error: 'STATE_TABLE: is not set' } });
    delete env.LINK_SECRET;
    expect((await call('/local/fleet-link')).status).toBe(404);
    expect((await fetch(`${base}/local/other`, { method: 'POST' })).status).toBe(418);
  });
});
